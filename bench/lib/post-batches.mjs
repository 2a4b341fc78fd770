// A load generator for POST /events that costs the machine as little as possible, so that a benchmark on
// a small machine measures the server: each request is one pre-built buffer (head and body) written to a
// keep-alive connection; replies are read just far enough to count the acknowledged events.
import net from 'node:net';

/** The request bytes for each body, built before the clock starts. */
export function prepareRequests(url, bodies) {
  const { host, pathname } = new URL(url);
  return bodies.map((body) => {
    const payload = Buffer.from(body);
    const head = `POST ${pathname} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: ${payload.length}\r\nConnection: keep-alive\r\n\r\n`;
    return Buffer.concat([Buffer.from(head), payload]);
  });
}

/**
 * Sends every request once over `connections` connections, one request in flight per connection.
 * Resolves to { acknowledged, failed, seconds } (seconds from the first write to the last reply).
 */
export function postAll(url, requests, connections) {
  const { hostname, port } = new URL(url);
  let next = 0;
  let acknowledged = 0;
  let failed = 0;
  let open = connections;
  const started = performance.now();
  let last = started;
  return new Promise((resolve, reject) => {
    const finish = () => {
      if (--open === 0) resolve({ acknowledged, failed, seconds: (last - started) / 1000 });
    };
    for (let c = 0; c < connections; c++) {
      const socket = net.connect({ host: hostname, port: Number(port), noDelay: true });
      let pending = Buffer.alloc(0);
      let done = false;
      const send = () => {
        if (next >= requests.length) {
          done = true;
          socket.end();
          return finish();
        }
        socket.write(requests[next++]);
      };
      socket.on('connect', send);
      socket.on('error', reject);
      socket.on('close', () => {
        if (!done) reject(new Error('the server closed a connection with a request unanswered'));
      });
      socket.on('data', (chunk) => {
        pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
        const headEnd = pending.indexOf('\r\n\r\n');
        if (headEnd < 0) return;
        const head = pending.subarray(0, headEnd).toString('latin1');
        const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (pending.length < headEnd + 4 + length) return;
        const status = Number(head.slice(9, 12));
        const body = pending.subarray(headEnd + 4, headEnd + 4 + length).toString('utf8');
        pending = pending.subarray(headEnd + 4 + length);
        last = performance.now();
        if (status === 200) acknowledged += JSON.parse(body).data.inserted;
        else failed++;
        send();
      });
    }
  });
}
