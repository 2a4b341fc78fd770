import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedBatch {
  headers: http.IncomingHttpHeaders;
  bytes: number;
  events: Array<Record<string, any>>;
}

/** How the collector answers the next POST: a status (with headers) or a delay. */
export type Reply = { status: number; headers?: Record<string, string>; delayMs?: number };

/**
 * A real collector on loopback that keeps every batch it accepts. `script` answers POSTs in order;
 * once it runs out, `fallback` answers.
 */
export class TestCollector {
  readonly batches: ReceivedBatch[] = [];
  readonly attempts: Array<{ at: number; bytes: number; count: number }> = [];
  script: Reply[] = [];
  fallback: Reply = { status: 200 };
  private server = http.createServer((req, res) => this.handle(req, res));
  url = '';

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  get events(): Array<Record<string, any>> {
    return this.batches.flatMap((b) => b.events);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const parsed = JSON.parse(body.toString('utf8')) as { events: Array<Record<string, any>> };
      this.attempts.push({ at: Date.now(), bytes: body.length, count: parsed.events.length });
      const reply = this.script.shift() ?? this.fallback;
      const answer = () => {
        if (reply.status >= 200 && reply.status < 300) {
          this.batches.push({ headers: req.headers, bytes: body.length, events: parsed.events });
        }
        res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
        res.end(JSON.stringify({ success: reply.status < 300, data: null, error: null }));
      };
      if (reply.delayMs) setTimeout(answer, reply.delayMs);
      else answer();
    });
  }

  async waitForEvents(count: number, timeoutMs = 5000): Promise<Array<Record<string, any>>> {
    const until = Date.now() + timeoutMs;
    while (this.events.length < count) {
      if (Date.now() > until) throw new Error(`expected ${count} events, got ${this.events.length}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return this.events;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A port nothing listens on. */
export async function deadEndpoint(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
