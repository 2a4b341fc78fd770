import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import express from 'express';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { RacewayClient, replaceDefaultClient } from '../src/index.js';
import * as rw from '../src/instrument/index.js';
import type { WireEvent } from './helpers/causality.js';
import { concurrent, stateChanges, taskOf } from './helpers/causality.js';

/**
 * Work done in a request's event-emitter callbacks (`req.on('data'|'end')`, `res.on('finish'|'close')`,
 * `pipeline`, listeners a library adds) belongs to the request: its task, its trace, its propagation.
 */
type Listener = (...args: unknown[]) => unknown;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const closers: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => server.close(resolve)));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A downstream service that records the propagation headers it receives. */
async function downstream(): Promise<{ url: string; seen: http.IncomingHttpHeaders[] }> {
  const seen: http.IncomingHttpHeaders[] = [];
  const url = await listen(
    http.createServer((req, res) => {
      seen.push(req.headers);
      res.end('ok');
    }),
  );
  return { url, seen };
}

const post = (url: string, body: string) => fetch(url, { method: 'POST', body }).then((r) => r.text());

/** Some other module the request is handed to, which listens on it in its own way. */
function readBody(req: http.IncomingMessage, done: (body: string) => void): void {
  let body = '';
  const onData = (chunk: Buffer) => (body += chunk);
  req.on('data', onData);
  req.once('end', () => {
    req.off('data', onData);
    done(body);
  });
}

let stock = 10;

describe('context through event-emitter callbacks', () => {
  it('node:http: a handler that works inside req.on("end") keeps its request task, trace and propagation', async () => {
    const client = RacewayClient.inMemory({ serviceName: 'shop' });
    replaceDefaultClient(client);
    const next = await downstream();
    stock = 10;
    const url = await listen(
      http.createServer(
        client.wrapHandler((req, res) => {
          let body = '';
          req.on('data', (c: Buffer) => (body += c));
          req.on('end', async () => {
            await fetch(`${next.url}/reserve`, { method: 'POST', body });
            rw.boundary();
            const left = rw.read('stock', stock, 'shop.js:8:20');
            await pause(20);
            rw.boundary();
            stock = rw.write('stock', stock, left - 1, 'shop.js:10:5');
            res.end(String(stock));
          });
        }),
      ),
    );
    await Promise.all([post(url, 'a'), post(url, 'b')]);
    expect(next.seen).toHaveLength(2);
    for (const headers of next.seen) {
      expect(headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
      expect(headers['raceway-clock']).toMatch(/^v1;/);
    }
    const events = client.memoryEvents() as WireEvent[];
    const [read1, read2] = stateChanges(events, 'stock').filter((e) => e.kind.StateChange.access_type === 'Read');
    const requests = events.filter((e) => e.kind.HttpRequest);
    expect(requests).toHaveLength(2);
    // Each read runs in the task of the request it belongs to, and the two requests are concurrent.
    expect(new Set([taskOf(read1!), taskOf(read2!)])).toEqual(new Set(requests.map(taskOf)));
    expect(read1!.trace_id).not.toBe(read2!.trace_id);
    expect(concurrent(read1!, read2!)).toBe(true);
    // The trace id the downstream saw is the request's.
    const traces = next.seen.map((h) => String(h.traceparent).split('-')[1]);
    expect(new Set(traces)).toEqual(new Set(requests.map((e) => String(e.trace_id).replace(/-/g, ''))));
  });

  it('covers listeners added by another module, once/off, res "finish"/"close", and pipeline', async () => {
    const client = RacewayClient.inMemory({ serviceName: 'shop' });
    replaceDefaultClient(client);
    const tasks: Record<string, string | undefined> = {};
    const url = await listen(
      http.createServer(
        client.wrapHandler((req, res) => {
          const request = client.currentTaskId();
          tasks.handler = request;
          res.on('finish', () => (tasks.finish = client.currentTaskId()));
          res.on('close', () => (tasks.close = client.currentTaskId()));
          if (req.url === '/pipe') {
            const sink = new Writable({
              write(_chunk, _encoding, done) {
                tasks.pipeWrite = client.currentTaskId();
                done();
              },
            });
            void pipeline(req, new PassThrough(), sink).then(() => {
              tasks.pipeDone = client.currentTaskId();
              res.end('piped');
            });
            return;
          }
          readBody(req, (body) => {
            tasks.module = client.currentTaskId();
            res.end(body);
          });
        }),
      ),
    );
    expect(await post(url, 'hello')).toBe('hello');
    await pause(20);
    expect(tasks.handler).toBeDefined();
    for (const at of ['module', 'finish', 'close']) expect(tasks[at], at).toBe(tasks.handler);
    expect(await post(`${url}/pipe`, 'x'.repeat(100_000))).toBe('piped');
    await pause(20);
    for (const at of ['pipeWrite', 'pipeDone']) expect(tasks[at], at).toBe(tasks.handler);
  });

  it('removes bound listeners with off/removeListener, including once listeners', async () => {
    const client = RacewayClient.inMemory({ serviceName: 'shop' });
    replaceDefaultClient(client);
    let counts = { on: 0, once: 0 };
    const url = await listen(
      http.createServer(
        client.wrapHandler((req, res) => {
          const onData = () => counts.on++;
          const onceData = () => counts.once++;
          req.on('data', onData);
          req.once('data', onceData);
          req.off('data', onData);
          req.removeListener('data', onceData);
          expect(req.listenerCount('data')).toBe(0);
          req.resume();
          req.on('end', () => res.end('done'));
        }),
      ),
    );
    expect(await post(url, 'abc')).toBe('done');
    expect(counts).toEqual({ on: 0, once: 0 });
    counts = { on: 0, once: 0 };
  });

  it("adds node:http's own 'end' listener of a request answered before its body was read as it is, and binds the app's", async () => {
    const client = RacewayClient.inMemory({ serviceName: 'shop' });
    replaceDefaultClient(client);
    const requests: http.IncomingMessage[] = [];
    const ends: Array<[string | undefined, string | undefined]> = [];
    const url = await listen(
      http.createServer(
        client.wrapHandler((req, res) => {
          requests.push(req);
          const handler = client.currentTaskId();
          req.on('end', () => ends.push([handler, client.currentTaskId()]));
          res.end('early'); // answered before the body is read: node:http then waits for the request's end
        }),
      ),
    );
    expect(await post(url, 'a body nobody reads')).toBe('early');
    await pause(20);
    const [req] = requests;
    const names = req!.rawListeners('end').map((l) => (l as { listener?: Listener }).listener?.name ?? l.name);
    // Node's listener (where this version adds one) is its own function; the app's is the SDK's wrapper of it.
    expect(
      req!.rawListeners('end').filter((l) => (l as { listener?: Listener }).listener?.name === 'clearIncoming'),
    ).toEqual([]);
    expect(names.filter((n) => n !== 'clearIncoming')).toHaveLength(1);
    expect(ends).toHaveLength(1);
    expect(ends[0]![1]).toBe(ends[0]![0]);
  });

  it('Express and Fastify: listeners on the raw request run in the request task', async () => {
    const client = RacewayClient.inMemory({ serviceName: 'shop' });
    replaceDefaultClient(client);
    const seen: Array<[string | undefined, string | undefined]> = [];
    const app = express();
    app.use(client.middleware());
    app.post('/x', (req, res) => {
      const handler = client.currentTaskId();
      req.on('data', () => undefined);
      req.on('end', () => {
        seen.push([handler, client.currentTaskId()]);
        res.end('ok');
      });
    });
    const url = await listen(http.createServer(app));
    await post(`${url}/x`, 'body');

    const fastify = Fastify();
    await fastify.register(client.fastifyPlugin());
    fastify.addContentTypeParser('text/plain', (_request, payload, done) => {
      const parser = client.currentTaskId();
      let body = '';
      payload.on('data', (c: Buffer) => (body += c));
      payload.on('end', () => {
        seen.push([parser, client.currentTaskId()]);
        done(null, body);
      });
    });
    fastify.post('/y', async (request) => request.body);
    await fastify.listen({ port: 0, host: '127.0.0.1' });
    closers.push(() => fastify.close());
    const address = fastify.server.address() as AddressInfo;
    await fetch(`http://127.0.0.1:${address.port}/y`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'b',
    });
    expect(seen).toHaveLength(2);
    for (const [handler, listener] of seen) {
      expect(handler).toBeDefined();
      expect(listener).toBe(handler);
    }
    const tasks = (client.memoryEvents() as WireEvent[]).filter((e) => e.kind.HttpRequest).map(taskOf);
    expect(tasks).toHaveLength(2);
  });
});
