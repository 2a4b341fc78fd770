import http from 'node:http';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RacewayClient } from '../src/index.js';
import * as rw from '../src/instrument/index.js';
import { concurrent, happensBefore, stateChanges, taskOf } from './helpers/causality.js';
import type { WireEvent } from './helpers/causality.js';
import { TestCollector } from './helpers/collector.js';
import { decodeRacewayClock, encodeRacewayClock } from '../src/propagation/raceway-clock.js';

let collector: TestCollector;
let gateway: RacewayClient; // Express
let inventory: RacewayClient; // Fastify
let payment: RacewayClient; // node:http
const servers: http.Server[] = [];
const fastifyApps: Array<{ close(): Promise<unknown> }> = [];
let urlA = '';
let urlB = '';
let urlC = '';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function listen(server: http.Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const store = { stock: 5 };

beforeAll(async () => {
  collector = await new TestCollector().start();
  const common = { endpoint: collector.url, flushIntervalMs: 60_000, onDiagnostic: () => undefined };
  gateway = new RacewayClient({ ...common, serviceName: 'gateway' });
  inventory = new RacewayClient({ ...common, serviceName: 'inventory' });
  payment = new RacewayClient({ ...common, serviceName: 'payment' });

  // C: node:http
  urlC = await listen(
    http.createServer(
      payment.wrapHandler(async (req, res) => {
        if (req.url === '/fail') throw new Error('payment exploded');
        rw.write('payments.count', 0, 1, 'payment.ts:3:5');
        await pause(5);
        res.end(JSON.stringify({ ok: true, task: payment.currentTaskId() }));
      }),
    ),
  );

  // B: Fastify 5, calls C with node:http
  const fastify = Fastify();
  await fastify.register(inventory.fastifyPlugin());
  fastify.post('/reserve', async (request) => {
    const before = rw.read('db.stock', store.stock, 'inventory.ts:10:5');
    const body = await new Promise<string>((resolve, reject) => {
      const req = http.request(`${urlC}/pay`, { method: 'POST' }, (res) => {
        let data = '';
        res.on('data', (c) => (data += c));
        res.on('end', () => resolve(data));
      });
      req.on('error', reject);
      req.end();
    });
    rw.write('db.stock', before, before - 1, 'inventory.ts:12:5');
    return { reserved: true, payment: JSON.parse(body), body: request.body };
  });
  fastify.get('/boom', async () => {
    throw new Error('inventory exploded');
  });
  await fastify.listen({ port: 0, host: '127.0.0.1' });
  fastifyApps.push(fastify);
  urlB = `http://127.0.0.1:${(fastify.server.address() as AddressInfo).port}`;

  // A: Express 5, calls B with fetch
  const app = express();
  app.use(gateway.middleware());
  app.post('/order', async (_req, res) => {
    rw.write('orders.last', null, 'o-1', 'gateway.ts:5:5');
    const r = await fetch(`${urlB}/reserve`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"sku":"sku-1"}',
    });
    const payload = await r.json();
    rw.read('orders.last', 'o-1', 'gateway.ts:7:5');
    res.json(payload);
  });
  app.get('/whoami', async (_req, res) => {
    await pause(Math.random() * 10);
    res.json({ task: gateway.currentTaskId() });
  });
  app.get('/branches', async (_req, res) => {
    const branch = (name: string) =>
      gateway.trackFunction(name, [], async () => {
        await pause(2);
        return gateway.currentTaskId();
      });
    const tasks = await Promise.all([branch('a'), branch('b')]);
    res.json({ tasks, parent: gateway.currentTaskId() });
  });
  app.get('/own-headers', async (_req, res) => {
    const r = await fetch(`${urlC}/pay`, {
      headers: { traceparent: '00-11111111111111111111111111111111-2222222222222222-01' },
    });
    res.json(await r.json());
  });
  app.get('/fail', () => {
    throw new Error('gateway exploded');
  });
  app.use(gateway.errorHandler());
  app.use((_err: unknown, _req: unknown, res: express.Response, _next: unknown) =>
    res.status(500).json({ error: true }),
  );
  urlA = await listen(http.createServer(app));
});

afterAll(async () => {
  await Promise.all([gateway, inventory, payment].map((c) => c.shutdown()));
  await Promise.all(fastifyApps.map((f) => f.close()));
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  await collector.stop();
});

beforeEach(() => {
  collector.batches.length = 0;
});

async function flushAll(): Promise<WireEvent[]> {
  await Promise.all([gateway, inventory, payment].map((c) => c.flush()));
  return collector.events;
}

const kind = (e: WireEvent) => Object.keys(e.kind)[0];
const service = (e: WireEvent) => e.metadata.service_name as string;

describe('middlewares', () => {
  it('carries one trace through Express → fetch → Fastify → node:http, with chained spans and causality both ways', async () => {
    const res = await fetch(`${urlA}/order`, { method: 'POST' });
    const body = await res.json();
    expect(body.reserved).toBe(true);
    expect(body.body).toEqual({ sku: 'sku-1' });
    const events = await flushAll();
    expect(new Set(events.map(service))).toEqual(new Set(['gateway', 'inventory', 'payment']));
    expect(new Set(events.map((e) => e.trace_id)).size).toBe(1);

    const spanOf = (s: string) => events.find((e) => service(e) === s)!.metadata;
    expect(spanOf('inventory').upstream_span_id).toBe(spanOf('gateway').distributed_span_id);
    expect(spanOf('payment').upstream_span_id).toBe(spanOf('inventory').distributed_span_id);

    const [orderWrite, orderRead] = stateChanges(events, 'orders.last');
    const [stockRead, stockWrite] = stateChanges(events, 'db.stock');
    const [payWrite] = stateChanges(events, 'payments.count');
    // caller before its outbound call → callee
    expect(happensBefore(orderWrite!, stockRead!)).toBe(true);
    expect(happensBefore(stockRead!, payWrite!)).toBe(true);
    // callee → caller after it awaited the response
    expect(happensBefore(payWrite!, stockWrite!)).toBe(true);
    expect(happensBefore(stockWrite!, orderRead!)).toBe(true);
  });

  it('records requests without query strings and responses with integer durations', async () => {
    await fetch(`${urlA}/whoami?token=secret`);
    const events = await flushAll();
    const request = events.find((e) => kind(e) === 'HttpRequest')!;
    const response = events.find((e) => kind(e) === 'HttpResponse')!;
    expect(request.kind.HttpRequest).toMatchObject({ method: 'GET', url: '/whoami' });
    expect(JSON.stringify(request)).not.toContain('secret');
    expect(response.kind.HttpResponse.status).toBe(200);
    expect(Number.isInteger(response.kind.HttpResponse.duration_ms)).toBe(true);
    expect(taskOf(response)).toBe(taskOf(request));
  });

  it('keeps concurrent requests in isolated contexts', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => fetch(`${urlA}/whoami`).then((r) => r.json())));
    expect(new Set(results.map((r) => r.task)).size).toBe(20);
    const events = await flushAll();
    const traces = new Set(events.filter((e) => kind(e) === 'HttpRequest').map((e) => e.trace_id));
    expect(traces.size).toBe(20);
    for (const e of events.filter((x) => kind(x) === 'HttpResponse')) {
      const req = events.find((x) => kind(x) === 'HttpRequest' && x.trace_id === e.trace_id)!;
      expect(taskOf(req)).toBe(taskOf(e));
    }
  });

  it('gives Promise.all branches distinct tasks, concurrent with each other', async () => {
    const { tasks, parent } = await (await fetch(`${urlA}/branches`)).json();
    expect(new Set([...tasks, parent]).size).toBe(3);
    const events = await flushAll();
    const [a, b] = events.filter((e) => e.kind.FunctionCall && e.kind.FunctionCall.function_name.length === 1);
    expect(concurrent(a!, b!)).toBe(true);
  });

  it('records one response per request, with its status, however the request reached the middleware', async () => {
    const client = RacewayClient.inMemory({ serviceName: 'finishing' });
    // The middleware first (node:http says when the response finished), after an asynchronous middleware that
    // held the request while others arrived (it listens for the response's 'finish' itself), and wrapping a
    // node:http listener.
    const first = express();
    first.use(client.middleware());
    const late = express();
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    let heldArrived = () => {};
    const arrived = new Promise<void>((resolve) => (heldArrived = resolve));
    late.use((req, _res, next) => {
      if (req.url === '/release') release();
      if (!req.url.startsWith('/held')) return next();
      heldArrived();
      void released.then(() => next());
    });
    late.use(client.middleware());
    for (const app of [first, late]) {
      for (const path of ['/listeners', '/held/listeners'])
        app.get(path, (_req, res) => void res.status(201).json({ finish: res.listenerCount('finish') }));
      app.get(['/missing', '/release'], (_req, res) => void res.status(404).end());
    }
    const wrapped = client.wrapHandler((_req, res) => {
      res.statusCode = 202;
      res.end(JSON.stringify({ finish: res.listenerCount('finish') }));
    });
    const urls = {
      first: await listen(http.createServer(first)),
      late: await listen(http.createServer(late)),
      wrapped: await listen(http.createServer(wrapped)),
    };
    const plain = await listen(
      http.createServer((_req, res) => res.end(JSON.stringify({ finish: res.listenerCount('finish') }))),
    );
    const nodeOwn = (await (await fetch(plain)).json()).finish as number;
    const listeners = async (url: string) => (await (await fetch(`${url}/listeners`)).json()).finish as number;
    expect(await listeners(urls.first)).toBe(nodeOwn);
    expect(await listeners(urls.wrapped)).toBe(nodeOwn);
    expect(await listeners(urls.late)).toBe(nodeOwn);
    // The held request waits until another request has reached the server after it.
    const held = listeners(`${urls.late}/held`);
    await arrived;
    await (await fetch(`${urls.late}/release`)).arrayBuffer();
    expect(await held).toBe(nodeOwn + 1);
    const statuses = await Promise.all(
      Array.from({ length: 30 }, (_, i) => {
        const url = [urls.first, urls.late, urls.wrapped][i % 3]!;
        return fetch(`${url}/${i % 2 ? 'missing' : 'listeners'}`).then(async (r) => (await r.arrayBuffer(), r.status));
      }),
    );
    await pause(20);
    const events = client.memoryEvents() as WireEvent[];
    const requests = events.filter((e) => kind(e) === 'HttpRequest');
    const responses = events.filter((e) => kind(e) === 'HttpResponse');
    expect(requests).toHaveLength(35);
    expect(responses).toHaveLength(35);
    for (const response of responses) {
      const request = requests.filter((r) => r.trace_id === response.trace_id);
      expect(request).toHaveLength(1);
      expect(taskOf(response)).toBe(taskOf(request[0]!));
      expect(happensBefore(request[0]!, response)).toBe(true);
    }
    expect(responses.map((r) => r.kind.HttpResponse.status).sort()).toEqual(
      [201, 201, 202, 201, 404, ...statuses].sort(),
    );
  });

  it('lets go of a finished response no middleware took (another server of the process)', async () => {
    // node:http publishes every server's requests to the middlewares' subscription; the last response
    // published is kept only until a middleware takes it or it finished.
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    let seen: WeakRef<object> | undefined;
    const server = http.createServer((_req, res) => {
      seen = new WeakRef(res);
      res.end('ok');
    });
    const url = await listen(server);
    const agent = new http.Agent({ keepAlive: false });
    await new Promise<void>((resolve, reject) =>
      http.get(url, { agent }, (res) => res.resume().on('end', resolve)).on('error', reject),
    );
    agent.destroy();
    for (let i = 0; i < 20 && seen?.deref(); i++) {
      await pause(10);
      gc();
    }
    expect(seen).toBeDefined();
    expect(seen!.deref()).toBeUndefined();
  });

  it('skips requests marked X-Raceway-Internal', async () => {
    await fetch(`${urlA}/whoami`, { headers: { 'x-raceway-internal': 'true' } });
    await fetch(`${urlB}/reserve`, { method: 'POST', headers: { 'x-raceway-internal': 'true' } });
    const events = await flushAll();
    const requests = events.filter((e) => kind(e) === 'HttpRequest');
    expect(requests.filter((e) => service(e) !== 'payment')).toEqual([]);
    // The skipped handler's own outbound call is ordinary traffic: a fresh trace, not a continued one.
    expect(requests.map((e) => e.parent_id)).toEqual([null]);
  });

  it('lets caller-supplied propagation headers win', async () => {
    await fetch(`${urlA}/own-headers`);
    const events = await flushAll();
    const paymentRequest = events.find((e) => service(e) === 'payment' && kind(e) === 'HttpRequest')!;
    expect(paymentRequest.trace_id).toBe('11111111-1111-1111-1111-111111111111');
  });

  it('records errors from Express, Fastify and node:http handlers', async () => {
    expect((await fetch(`${urlA}/fail`)).status).toBe(500);
    expect((await fetch(`${urlB}/boom`)).status).toBe(500);
    const errors = new Set<string>();
    const hook = (err: unknown) => errors.add(String(err));
    process.on('unhandledRejection', hook);
    await fetch(`${urlC}/fail`, { signal: AbortSignal.timeout(300) }).catch(() => undefined);
    await pause(20);
    process.off('unhandledRejection', hook);
    const events = await flushAll();
    const messages = events.filter((e) => kind(e) === 'Error').map((e) => `${service(e)}: ${e.kind.Error.message}`);
    expect(messages).toEqual(
      expect.arrayContaining([
        'gateway: gateway exploded',
        'inventory: inventory exploded',
        'payment: payment exploded',
      ]),
    );
    // node:http: the listener's rejection stays unhandled, as it was without Raceway.
    expect([...errors].some((e) => e.includes('payment exploded'))).toBe(true);
  });

  it('continues the trace of a caller using another SDK (traceparent + raceway-clock)', async () => {
    const clock = Buffer.from(
      JSON.stringify({
        trace_id: '0af76519-16cd-43dd-8448-eb211c80319c',
        span_id: 'b7ad6b7169203331',
        parent_span_id: '00f067aa0ba902b7',
        service: 'py-svc',
        instance: 'p1',
        clock: [['py-svc#p1', 4]],
      }),
    ).toString('base64url');
    await fetch(`${urlA}/whoami`, {
      headers: {
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        'raceway-clock': `v1;${clock}`,
      },
    });
    const [request] = (await flushAll()).filter((e) => kind(e) === 'HttpRequest');
    expect(request!.trace_id).toBe('0af76519-16cd-43dd-8448-eb211c80319c');
    expect(request!.metadata.distributed_span_id).toBe('b7ad6b7169203331');
    expect(request!.metadata.upstream_span_id).toBe('00f067aa0ba902b7');
    expect(new Map(request!.causality_vector).get('py-svc#p1')).toBe(4);
  });
});

describe('the response clock', () => {
  // What our SDK's outbound calls carry (any value: the callee answers a caller that speaks raceway-clock).
  const callerHeaders = {
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    'raceway-clock': encodeRacewayClock({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      parentSpanId: '00f067aa0ba902b7',
      service: 'caller',
      instance: 'c1',
      clock: [['caller#c1', 3]],
    }),
  };

  it('is on every response to a caller that sent one (implicit headers, writeHead, a writeHead wrapped by another module) without changing the response object', async () => {
    const client = RacewayClient.inMemory({ serviceName: 'clocked' });
    const owned: string[][] = [];
    const app = express();
    // An on-headers style module: wraps the response's own writeHead before our middleware runs.
    app.use((_req, res, next) => {
      if (_req.url === '/wrapped') {
        const inner = res.writeHead;
        res.writeHead = function (this: typeof res, ...args: unknown[]) {
          this.setHeader('x-wrapped', 'yes');
          return (inner as (...a: unknown[]) => typeof res).apply(this, args);
        } as typeof res.writeHead;
      }
      next();
    });
    app.use(client.middleware());
    app.use((_req, res, next) => {
      owned.push(Object.getOwnPropertyNames(res).filter((n) => n === 'writeHead'));
      next();
    });
    app.get('/implicit', (_req, res) => void res.end('ok'));
    app.get('/explicit', (_req, res) => void res.writeHead(201, { 'content-type': 'text/plain' }).end('ok'));
    app.get('/json', (_req, res) => void res.json({ ok: true }));
    app.get('/wrapped', (_req, res) => void res.end('ok'));
    const plain = http.createServer((_req, res) => res.end('plain'));
    const url = await listen(http.createServer(app));
    const plainUrl = await listen(plain);
    for (const path of ['/implicit', '/explicit', '/json', '/wrapped']) {
      const res = await fetch(`${url}${path}`, { headers: callerHeaders });
      await res.text();
      const clock = decodeRacewayClock(res.headers.get('raceway-clock') ?? undefined);
      // The handler's clock: it has seen the caller's component, and it is in the caller's trace.
      expect(clock, path).toBeDefined();
      expect(new Map(clock!.clock).get('caller#c1'), path).toBe(3);
      expect(clock!.traceId, path).toBe('0af7651916cd43dd8448eb211c80319c');
      if (path === '/wrapped') expect(res.headers.get('x-wrapped')).toBe('yes');
      if (path === '/explicit') expect(res.status).toBe(201);
    }
    // Responses of the same process that no middleware saw get nothing.
    const other = await fetch(plainUrl, { headers: callerHeaders });
    expect(await other.text()).toBe('plain');
    expect(other.headers.get('raceway-clock')).toBeNull();
    // Our middleware gave no response an own writeHead (only the wrapping module did, on /wrapped).
    expect(owned).toEqual([[], [], [], ['writeHead']]);
  });

  it('is left off responses to callers that sent no raceway-clock (browsers, load balancers, other SDKs), by every middleware', async () => {
    const client = RacewayClient.inMemory({ serviceName: 'unclocked' });
    const app = express();
    app.use(client.middleware());
    app.get('/json', (_req, res) => void res.json({ ok: true }));
    const expressUrl = await listen(http.createServer(app));
    const nodeUrl = await listen(http.createServer(client.wrapHandler((_req, res) => res.end('ok'))));
    const fastify = Fastify();
    await fastify.register(client.fastifyPlugin());
    fastify.get('/json', async () => ({ ok: true }));
    await fastify.listen({ port: 0, host: '127.0.0.1' });
    fastifyApps.push(fastify);
    const fastifyUrl = `http://127.0.0.1:${(fastify.server.address() as AddressInfo).port}`;
    for (const url of [`${expressUrl}/json`, nodeUrl, `${fastifyUrl}/json`]) {
      // A W3C caller without our header: the trace continues, the response is as it would be without us.
      const bare = await fetch(url, { headers: { traceparent: callerHeaders.traceparent } });
      await bare.text();
      expect(bare.status, url).toBe(200);
      expect(bare.headers.get('raceway-clock'), url).toBeNull();
      const clocked = await fetch(url, { headers: callerHeaders });
      await clocked.text();
      expect(clocked.headers.get('raceway-clock'), url).toMatch(/^v1;[A-Za-z0-9_-]+$/);
    }
    // Both kinds of request were recorded as requests of the caller's trace.
    const requests = (client.memoryEvents() as WireEvent[]).filter((e) => e.kind.HttpRequest);
    expect(requests).toHaveLength(6);
    for (const r of requests) expect(r.trace_id).toBe('0af76519-16cd-43dd-8448-eb211c80319c');
  });
});
