import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp, SqliteStore } from '@raceway/server';

const trace = '0af76519-16cd-43dd-8448-eb211c80319c';

/** Events shaped the way each existing Raceway SDK sends them. */
const fixtures = {
  typescript: {
    id: randomUUID(),
    trace_id: trace,
    parent_id: null,
    timestamp: '2026-11-26T10:00:00.123Z',
    kind: {
      StateChange: {
        variable: 'balance',
        old_value: 100,
        new_value: 90,
        location: 'src/bank.ts:12',
        access_type: 'Write',
      },
    },
    metadata: {
      thread_id: 'node-1234',
      process_id: 1234,
      service_name: 'ts-svc',
      environment: 'dev',
      tags: { sdk_language: 'typescript' },
      duration_ns: null,
    },
    causality_vector: [[randomUUID(), 3]],
    lock_set: [],
  },
  python: {
    id: randomUUID(),
    trace_id: trace,
    parent_id: randomUUID(),
    timestamp: '2026-11-26T10:00:00.200000+00:00',
    kind: {
      FunctionCall: { function_name: 'transfer', module: 'bank', args: { amount: 10 }, file: 'bank.py', line: 42 },
    },
    metadata: {
      thread_id: 'MainThread',
      process_id: 77,
      service_name: 'py-svc',
      environment: 'prod',
      tags: { sdk_language: 'python' },
      instance_id: 'py-1',
      distributed_span_id: 'b7ad6b7169203331',
      upstream_span_id: null,
    },
    causality_vector: [['py-svc#py-1', 5]],
    lock_set: ['acct-lock'],
  },
  go: {
    id: randomUUID(),
    trace_id: trace,
    parent_id: null,
    timestamp: '2026-11-26T10:00:00.3Z',
    kind: { HttpResponse: { status: 200, headers: {}, body: null, duration_ms: 12 } },
    metadata: {
      thread_id: 'goroutine-18',
      process_id: 5,
      service_name: 'go-svc',
      environment: 'prod',
      tags: { sdk_language: 'go' },
    },
    causality_vector: [
      ['go-svc#g1', 1],
      ['py-svc#py-1', 5],
    ],
    lock_set: [],
  },
  rust: {
    id: randomUUID(),
    trace_id: trace,
    parent_id: null,
    timestamp: '2026-11-26T10:00:00.400000000Z',
    kind: { LockAcquire: { lock_id: 'accounts', lock_type: 'Mutex', location: 'src/main.rs:30' } },
    metadata: {
      thread_id: 'tokio-runtime-worker',
      process_id: 9,
      service_name: 'rust-svc',
      environment: 'prod',
      tags: { sdk_language: 'rust' },
      instance_id: 'r1',
    },
    causality_vector: [['rust-svc#r1', 2]],
    lock_set: ['accounts'],
  },
};

let stores: SqliteStore[] = [];
afterEach(() => {
  for (const s of stores) s.close();
  stores = [];
});

function app(apiKeys: string[] = []) {
  const store = new SqliteStore(':memory:');
  stores.push(store);
  return { store, app: buildApp({ store, apiKeys }).app };
}

describe('POST /events', () => {
  it('accepts a batch in the shape of every existing SDK, and stores it', async () => {
    const { app: a, store } = app();
    const res = await a.inject({ method: 'POST', url: '/events', payload: { events: Object.values(fixtures) } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ success: true, data: { accepted: 4, inserted: 4, rejected: 0 }, error: null });
    expect(store.counts()).toEqual({ events: 4, traces: 1 });
  });

  it('accepts an empty batch', async () => {
    const res = await app().app.inject({ method: 'POST', url: '/events', payload: { events: [] } });
    expect(res.json()).toMatchObject({ success: true, data: { accepted: 0 } });
  });

  it('rejects bad events one by one, by index and reason, and keeps the good ones', async () => {
    const { app: a, store } = app();
    const bad = [
      {
        ...fixtures.go,
        id: randomUUID(),
        kind: { HttpResponse: { status: 200, headers: {}, body: null, duration_ms: 1.5 } },
      },
      { ...fixtures.rust, id: randomUUID(), trace_id: 'not-a-uuid' },
      { ...fixtures.python, id: randomUUID(), kind: { Teleport: {} } },
      { ...fixtures.typescript, id: randomUUID(), causality_vector: [['a', 1, 2]] },
      'not an object',
    ];
    const res = await a.inject({ method: 'POST', url: '/events', payload: { events: [fixtures.typescript, ...bad] } });
    const body = res.json();
    expect(res.statusCode).toBe(200);
    expect(body.data).toMatchObject({ accepted: 1, rejected: 5 });
    expect(body.data.errors.map((e: { index: number }) => e.index)).toEqual([1, 2, 3, 4, 5]);
    expect(body.data.errors[0].reason).toMatch(/duration_ms.*integer/);
    expect(body.data.errors[2].reason).toMatch(/Teleport/);
    expect(store.counts().events).toBe(1);
  });

  it('is idempotent on repeated event ids', async () => {
    const { app: a, store } = app();
    await a.inject({ method: 'POST', url: '/events', payload: { events: [fixtures.rust] } });
    const res = await a.inject({ method: 'POST', url: '/events', payload: { events: [fixtures.rust, fixtures.rust] } });
    expect(res.json().data).toMatchObject({ accepted: 2, inserted: 0, duplicates: 2 });
    expect(store.counts().events).toBe(1);
  });

  it('answers bad JSON with 400, a wrong shape with 400, unknown routes with 404', async () => {
    const { app: a } = app();
    const bad = await a.inject({
      method: 'POST',
      url: '/events',
      headers: { 'content-type': 'application/json' },
      payload: '{"events": [',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ success: false, code: 'RW_BAD_JSON' });
    const shape = await a.inject({ method: 'POST', url: '/events', payload: { event: [] } });
    expect(shape.statusCode).toBe(400);
    expect(shape.json().code).toBe('RW_BAD_BATCH');
    const missing = await a.inject({ method: 'GET', url: '/nope' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ success: false, data: null, code: 'RW_NOT_FOUND' });
  });

  it('answers 413 over 8 MiB', async () => {
    const { app: a } = app();
    const huge = JSON.stringify({
      events: [{ ...fixtures.typescript, kind: { Custom: { name: 'x', data: 'y'.repeat(9 * 1024 * 1024) } } }],
    });
    const res = await a.inject({
      method: 'POST',
      url: '/events',
      headers: { 'content-type': 'application/json' },
      payload: huge,
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().code).toBe('RW_BODY_TOO_LARGE');
  });

  it('requires a key when keys are configured, by Bearer or X-Raceway-Key; /health stays open', async () => {
    const { app: a } = app(['k1', 'k2']);
    const payload = { events: [] };
    expect((await a.inject({ method: 'POST', url: '/events', payload })).statusCode).toBe(401);
    expect(
      (await a.inject({ method: 'POST', url: '/events', payload, headers: { authorization: 'Bearer wrong' } }))
        .statusCode,
    ).toBe(401);
    expect(
      (await a.inject({ method: 'POST', url: '/events', payload, headers: { authorization: 'Bearer k2' } })).statusCode,
    ).toBe(200);
    expect(
      (await a.inject({ method: 'POST', url: '/events', payload, headers: { 'x-raceway-key': 'k1' } })).statusCode,
    ).toBe(200);
    expect((await a.inject({ method: 'GET', url: '/api/races' })).statusCode).toBe(401);
    expect((await a.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
  });
});

describe('query API', () => {
  it('lists traces, shows one with its tasks and audit trails, and services with their edges', async () => {
    const { app: a } = app();
    const callee = {
      ...fixtures.typescript,
      id: randomUUID(),
      metadata: {
        ...fixtures.typescript.metadata,
        distributed_span_id: '1111111111111111',
        upstream_span_id: 'b7ad6b7169203331',
      },
    };
    await a.inject({ method: 'POST', url: '/events', payload: { events: [...Object.values(fixtures), callee] } });
    const list = (await a.inject({ method: 'GET', url: '/api/traces?page=1&page_size=10' })).json();
    expect(list.data.total).toBe(1);
    expect(list.data.traces[0]).toMatchObject({ traceId: trace, events: 5, hasRace: false });
    const one = (await a.inject({ method: 'GET', url: `/api/traces/${trace.replace(/-/g, '')}` })).json();
    expect(one.data.events).toHaveLength(5);
    expect(Object.keys(one.data.auditTrails)).toEqual(['balance']);
    expect(one.data.tasks.length).toBeGreaterThan(1);
    const services = (await a.inject({ method: 'GET', url: '/api/services' })).json();
    expect(services.data.edges).toEqual([{ from: 'py-svc', to: 'ts-svc', calls: 1 }]);
    const deps = (await a.inject({ method: 'GET', url: '/api/services/py-svc/dependencies' })).json();
    expect(deps.data.calls).toEqual([{ from: 'py-svc', to: 'ts-svc', calls: 1 }]);
    // Queries outside the routes' schemas: refused with RW_BAD_QUERY and what was wrong, before the handler runs.
    for (const url of [
      '/api/traces?page=0',
      '/api/traces?page=abc',
      '/api/traces?page=1.5',
      '/api/traces?page_size=1001',
      `/api/traces?service=${'s'.repeat(300)}`,
      `/api/traces/${'f'.repeat(65)}`,
    ]) {
      const res = await a.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(400);
      expect(res.json(), url).toMatchObject({ success: false, code: 'RW_BAD_QUERY' });
      expect(res.json().error, url).toMatch(/querystring|params/);
    }
    // Defaults apply when the query leaves them out.
    expect((await a.inject({ method: 'GET', url: '/api/traces' })).json().data).toMatchObject({
      page: 1,
      pageSize: 50,
    });
    expect((await a.inject({ method: 'GET', url: `/api/traces/${randomUUID()}` })).statusCode).toBe(404);
    expect((await a.inject({ method: 'GET', url: '/api/races/nope' })).statusCode).toBe(404);
  });

  it('prunes traces older than the retention', async () => {
    const { app: a, store } = app();
    await a.inject({ method: 'POST', url: '/events', payload: { events: [fixtures.rust] } });
    expect(store.prune(Date.now() - 60_000)).toBe(0);
    expect(store.prune(Date.now() + 1000)).toBe(1);
    expect(store.counts().events).toBe(0);
  });
});
