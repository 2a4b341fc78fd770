import { eventSchema } from '@raceway/protocol';
import { Ajv } from 'ajv';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { captureContext, RacewayClient, replaceDefaultClient } from '../src/index.js';
import { resetDiagnostics } from '../src/diag/diagnostics.js';
import { deadEndpoint, TestCollector } from './helpers/collector.js';

const clients: RacewayClient[] = [];
const collectors: TestCollector[] = [];
const quiet = () => undefined;

function client(endpoint: string, extra: ConstructorParameters<typeof RacewayClient>[0] = {}): RacewayClient {
  const c = new RacewayClient({
    endpoint,
    serviceName: 'sender-test',
    onDiagnostic: quiet,
    flushIntervalMs: 60_000,
    ...extra,
  });
  replaceDefaultClient(c);
  clients.push(c);
  return c;
}

async function collector(): Promise<TestCollector> {
  const c = await new TestCollector().start();
  collectors.push(c);
  return c;
}

function emit(c: RacewayClient, n: number, value: unknown = 1): void {
  for (let i = 0; i < n; i++) c.trackStateChange(`v${i % 5}`, i, value, 'Write', 'a.ts:1:1');
}

afterEach(async () => {
  resetDiagnostics();
  await Promise.all(clients.splice(0).map((c) => c.shutdown()));
  await Promise.all(collectors.splice(0).map((c) => c.stop()));
});

describe('batched sender', () => {
  it('sends batches of batchSize with auth headers and the internal marker', async () => {
    const col = await collector();
    const c = client(col.url, { apiKey: 'secret', batchSize: 10 });
    emit(c, 15);
    await c.flush();
    expect(col.batches.map((b) => b.events.length)).toEqual([10, 5]);
    expect(col.batches[0]!.headers.authorization).toBe('Bearer secret');
    expect(col.batches[0]!.headers['x-raceway-key']).toBe('secret');
    expect(col.batches[0]!.headers['x-raceway-internal']).toBe('true');
    expect(c.stats()).toEqual({
      sent: 15,
      dropped: 0,
      retried: 0,
      queued: 0,
      droppedTraces: 0,
      truncatedTraces: 0,
      backlogBytes: 0,
      backlogPeakBytes: 0,
    });
  });

  it('sends larger POSTs to drain a backlog', async () => {
    const col = await collector();
    const c = client(col.url, { batchSize: 10 });
    emit(c, 250);
    await c.flush();
    expect(col.batches.map((b) => b.events.length)).toEqual([100, 100, 50]);
  });

  it('flushes on its own every flushIntervalMs', async () => {
    const col = await collector();
    const c = client(col.url, { flushIntervalMs: 50 });
    emit(c, 3);
    await col.waitForEvents(3);
    await vi.waitFor(() => expect(c.stats().sent).toBe(3));
  });

  it('flushes as soon as a full batch is queued', async () => {
    const col = await collector();
    const c = client(col.url, { batchSize: 5 });
    emit(c, 5);
    // The flush interval is a minute: only a full batch explains a POST now, and it carries the five.
    await col.waitForEvents(5);
    expect(col.batches.map((b) => b.events.length)).toEqual([5]);
    await vi.waitFor(() => expect(c.stats()).toMatchObject({ sent: 5, queued: 0, dropped: 0 }));
  });

  it('sends events in the wire shape of the Raceway protocol', async () => {
    const col = await collector();
    const c = client(col.url);
    c.trackStateChange('accounts.alice.balance', 100, 90, 'Write', 'src/bank.ts:12:5');
    await c.flush();
    const [e] = col.events;
    expect(e).toMatchObject({
      kind: {
        StateChange: {
          variable: 'accounts.alice.balance',
          old_value: 100,
          new_value: 90,
          location: 'src/bank.ts:12:5',
          access_type: 'Write',
        },
      },
      metadata: { service_name: 'sender-test', process_id: process.pid, tags: { sdk_language: 'typescript' } },
      lock_set: [],
    });
    expect(e!.trace_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(new Date(e!.timestamp).toISOString()).toBe(e!.timestamp);
    expect(Array.isArray(e!.causality_vector)).toBe(true);
    expect(
      e!.causality_vector.every((p: unknown[]) => p.length === 2 && typeof p[0] === 'string' && Number.isInteger(p[1])),
    ).toBe(true);
  });

  it('sends only events the protocol schema (the one the server checks) accepts', async () => {
    const col = await collector();
    const c = client(col.url);
    await c.startTrace('checkout', async () => {
      c.trackStateChange('cart', { items: [1, 2], note: 'é\u2028"' }, null, 'Write', 'src/cart.ts:3:1');
      c.trackLockAcquire('cart-lock');
      await c.trackFunction('charge', [42, { card: 'x' }], async () => {
        c.trackStateChange('balance', 10, 7, 'Read', 'src/pay.ts:9:2');
      });
      c.trackLockRelease('cart-lock');
      await c
        .trackFunction('fails', [], async () => {
          throw new TypeError('declined');
        })
        .catch(() => undefined);
      c.trackHttpResponse(200, 12);
    });
    await c.flush();
    const kinds = new Set(col.events.map((e) => Object.keys(e.kind)[0]));
    expect([...kinds].sort()).toEqual([
      'Custom',
      'Error',
      'FunctionCall',
      'HttpResponse',
      'LockAcquire',
      'LockRelease',
      'StateChange',
    ]);
    const check = new Ajv({ strict: false }).compile(eventSchema);
    const invalid = col.events
      .filter((e) => !check(e))
      .map((e) => ({ kind: Object.keys(e.kind)[0], errors: check.errors }));
    expect(invalid).toEqual([]);
  });

  it('retries 500s with backoff until the collector recovers', async () => {
    const col = await collector();
    col.script = [{ status: 500 }, { status: 503 }];
    const c = client(col.url);
    emit(c, 4);
    await c.flush();
    expect(col.attempts).toHaveLength(3);
    expect(c.stats()).toMatchObject({ sent: 4, retried: 2, dropped: 0 });
  });

  it('honours Retry-After on 429', async () => {
    const col = await collector();
    col.script = [{ status: 429, headers: { 'retry-after': '1' } }];
    const c = client(col.url);
    emit(c, 2);
    await c.flush();
    const [first, second] = col.attempts;
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(900);
    expect(c.stats()).toMatchObject({ sent: 2, retried: 1 });
  });

  it('drops a batch the collector refuses with another 4xx, once, and goes on', async () => {
    const col = await collector();
    col.script = [{ status: 400 }];
    const seen: string[] = [];
    const c = client(col.url, { batchSize: 3, onDiagnostic: (code) => seen.push(code) });
    emit(c, 6);
    await c.flush();
    expect(col.attempts).toHaveLength(2);
    expect(c.stats()).toMatchObject({ sent: 3, dropped: 3, retried: 0 });
    expect(seen).toEqual(['rejected-HTTP 400']);
  });

  it('splits a batch the collector finds too large (413)', async () => {
    const col = await collector();
    col.script = [{ status: 413 }];
    const c = client(col.url, { batchSize: 8 });
    emit(c, 8);
    await c.flush();
    expect(col.batches.map((b) => b.events.length)).toEqual([4, 4]);
    expect(c.stats()).toMatchObject({ sent: 8, dropped: 0 });
  });

  it('keeps every POST body under 1 MiB', async () => {
    const col = await collector();
    const c = client(col.url, { batchSize: 100 });
    emit(
      c,
      100,
      'x'
        .repeat(2000)
        .split('')
        .map((_, i) => `${i}`.repeat(5))
        .slice(0, 40)
        .join('|')
        .repeat(10),
    );
    for (let i = 0; i < 100; i++)
      c.trackStateChange('big', null, { blob: Array.from({ length: 50 }, () => 'y'.repeat(2000)) }, 'Write');
    await c.flush();
    expect(Math.max(...col.attempts.map((a) => a.bytes))).toBeLessThan(1024 * 1024);
    expect(c.stats()).toMatchObject({ sent: 200, dropped: 0 });
  });

  it('sends text outside ASCII byte for byte, and counts body size in bytes, not characters', async () => {
    const col = await collector();
    const c = client(col.url, { batchSize: 100 });
    const values = [
      'héllo',
      'ünïcödé ✓',
      '日本語のテキスト',
      'emoji 😀 and \u2028 and "quotes"',
      'lone surrogate \ud800 end',
    ];
    values.forEach((v, i) => c.trackStateChange(`text${i}`, null, v, 'Write', 'a.ts:1:1'));
    // 3-byte characters: 60 events of ~100k characters are ~18 MB, so only byte counting keeps bodies under 1 MiB.
    for (let i = 0; i < 60; i++)
      c.trackStateChange('wide', null, { parts: Array.from({ length: 50 }, () => '語'.repeat(2000)) }, 'Write');
    await c.flush();
    expect(col.events.slice(0, 5).map((e) => e.kind.StateChange.new_value)).toEqual(values); // a lone surrogate travels escaped, so it comes back as it was
    expect(Math.max(...col.attempts.map((a) => a.bytes))).toBeLessThan(1024 * 1024);
    expect(c.stats()).toMatchObject({ sent: 65, dropped: 0 });
  });

  it('times out a slow collector and retries', async () => {
    const col = await collector();
    col.script = [{ status: 200, delayMs: 1500 }];
    const c = client(col.url, { requestTimeoutMs: 200 });
    emit(c, 2);
    await c.flush();
    expect(c.stats()).toMatchObject({ sent: 2, retried: 1 });
  });

  it('bounds memory with the collector down: drops beyond maxQueue and counts it', async () => {
    const c = client(await deadEndpoint(), { maxQueue: 1000, batchSize: 100 });
    emit(c, 50_000);
    const stats = c.stats();
    expect(stats.queued).toBeLessThanOrEqual(1000);
    expect(stats.dropped).toBeGreaterThanOrEqual(49_000);
    await c.shutdown();
    expect(c.stats().queued).toBe(0);
    expect(c.stats().sent).toBe(0);
    expect(c.stats().dropped).toBe(50_000);
  });

  it('flushes on shutdown and drops what is recorded afterwards', async () => {
    const col = await collector();
    const c = client(col.url);
    emit(c, 7);
    await c.shutdown();
    expect(col.events).toHaveLength(7);
    emit(c, 1);
    expect(c.stats()).toMatchObject({ sent: 7, dropped: 1 });
  });

  it('gives up within the shutdown deadline when the collector hangs', async () => {
    const col = await collector();
    col.fallback = { status: 200, delayMs: 10_000 };
    const c = client(col.url, { shutdownTimeoutMs: 300 });
    emit(c, 3);
    const started = Date.now();
    await c.shutdown();
    expect(Date.now() - started).toBeLessThan(3000);
    expect(c.stats()).toMatchObject({ sent: 0, dropped: 3 });
  });

  it('gives final counts right after shutdown: every recorded event is sent or dropped, none in between', async () => {
    const col = await collector();
    col.fallback = { status: 200, delayMs: 400 }; // slow acknowledgements: a backlog is in flight at the deadline
    const c = client(col.url, { batchSize: 200, shutdownTimeoutMs: 250, maxQueue: 100_000 });
    emit(c, 5000, 'x'.repeat(2000)); // ~2 KB events: one backlog take (2,000 events) spans several 1 MiB bodies
    await c.shutdown();
    const stats = c.stats();
    expect(stats.queued).toBe(0);
    expect(stats.sent + stats.dropped).toBe(5000);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(c.stats()).toEqual(stats); // nothing moves afterwards
  });

  it('under load drops whole traces, never part of one, and tells the collector how many', async () => {
    const col = await collector();
    col.fallback = { status: 200, delayMs: 30 }; // a slow collector: the queue fills up
    const c = client(col.url, { maxQueue: 200, batchSize: 50, flushIntervalMs: 10 });
    const perTrace = 12;
    // 100 requests at once, each recording perTrace events across awaits. Waited for without awaiting
    // their promises (joining many traces folds the waiter's clock, which is one more event: not this
    // test's subject).
    let running = 100;
    await new Promise<void>((allDone) => {
      for (let r = 0; r < 100; r++) {
        void c.startTrace(`req-${r}`, async () => {
          for (let k = 0; k < perTrace; k++) {
            c.trackStateChange(`v${r}`, k, k + 1, 'Write', 'a.ts:1:1');
            if (k % 4 === 3) await new Promise((resolve) => setImmediate(resolve));
          }
          if (--running === 0) allDone();
        });
      }
    });
    await c.shutdown();
    const stats = c.stats();
    expect(stats.droppedTraces).toBeGreaterThan(0);
    const byTrace = new Map<string, number>();
    for (const e of col.events) if (e.kind.StateChange) byTrace.set(e.trace_id, (byTrace.get(e.trace_id) ?? 0) + 1);
    const report = col.events.filter((e) => e.kind.Custom?.name === 'RacewayDropped').at(-1);
    expect(report?.kind.Custom.data).toMatchObject({
      dropped_traces: stats.droppedTraces,
      truncated_count: stats.truncatedTraces,
      service: 'sender-test',
    });
    const truncated = new Set<string>(report!.kind.Custom.data.truncated_traces);
    // Every trace that arrived and was not reported cut short arrived whole.
    for (const [trace, count] of byTrace) if (!truncated.has(trace)) expect(count, trace).toBe(perTrace);
    expect(byTrace.size + (stats.droppedTraces ?? 0)).toBe(100);
    expect(stats.sent + stats.dropped).toBe(
      100 * perTrace + 100 + col.events.filter((e) => e.kind.Custom?.name === 'RacewayDropped').length,
    );
  });

  it("keeps each client's own decision for a trace that two clients record into", async () => {
    // A's queue is over its high-water mark (its collector is not asked yet): A drops the trace it starts.
    // B, with room, records into the same trace and sends all of its own events of it.
    const a = client(await deadEndpoint(), { maxQueue: 100, batchSize: 1000 });
    const colB = await collector();
    const b = new RacewayClient({ endpoint: colB.url, serviceName: 'second', onDiagnostic: quiet });
    clients.push(b);
    emit(a, 90);
    let traceId: string | undefined;
    await a.startTrace('both', async () => {
      for (let k = 0; k < 3; k++) b.trackStateChange('shared', k, k + 1, 'Write', 'a.ts:2:1');
      a.trackStateChange('shared', 3, 4, 'Write', 'a.ts:3:1');
      traceId = captureContext()?.traceId;
    });
    expect(a.stats()).toMatchObject({ droppedTraces: 1 });
    await b.flush();
    const fromB = colB.events.filter((e) => e.kind.StateChange?.variable === 'shared');
    expect(fromB).toHaveLength(3);
    expect(new Set(fromB.map((e) => e.trace_id.replaceAll('-', '')))).toEqual(new Set([traceId]));
    expect(b.stats()).toMatchObject({ droppedTraces: 0, dropped: 0 });
  });

  it('says at exit, in one line, how many events were not delivered and why', async () => {
    const { spawnSync } = await import('node:child_process');
    const endpoint = await deadEndpoint();
    const script = `
      const { RacewayClient } = await import('@raceway/runtime');
      const c = new RacewayClient({ endpoint: ${JSON.stringify(endpoint)}, serviceName: 'short', requestTimeoutMs: 200, shutdownTimeoutMs: 500 });
      for (let i = 0; i < 25; i++) c.trackStateChange('x', i, i + 1, 'Write', 'a.ts:1:1');
    `;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 20_000,
      cwd: new URL('..', import.meta.url),
    });
    const lines = result.stderr.split('\n').filter((l) => l.includes('not delivered'));
    expect(lines, result.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(`25 events not delivered to ${endpoint.replace(/[.]/g, '\\.')}: .*(ECONNREFUSED|connect)`),
    );
  });

  it('keeps the process alive while an awaited shutdown waits for a collector that is down', async () => {
    const { spawnSync } = await import('node:child_process');
    const endpoint = await deadEndpoint();
    const script = `
      const { RacewayClient } = await import('@raceway/runtime');
      const c = new RacewayClient({ endpoint: ${JSON.stringify(endpoint)}, serviceName: 'short', shutdownTimeoutMs: 1500 });
      c.trackStateChange('x', 0, 1, 'Write', 'a.ts:1:1');
      await c.shutdown();
      console.log('after shutdown', c.stats().dropped);
    `;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 20_000,
      cwd: new URL('..', import.meta.url),
    });
    // Exit code 13 would mean the top-level await never settled: the process left during a retry's wait.
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe('after shutdown 1');
  });

  it('records nothing and sends nothing when disabled', async () => {
    const col = await collector();
    const c = client(col.url, { enabled: false });
    emit(c, 10);
    await c.flush();
    expect(col.attempts).toHaveLength(0);
    expect(c.stats().queued).toBe(0);
  });
});

describe('record ring', () => {
  it('grows from a small allocation to its capacity, keeping order across wrap-arounds', async () => {
    const { RecordRing } = await import('../src/export/record-ring.js');
    const { getMainTask } = await import('../src/context/storage.js');
    const task = getMainTask();
    const ring = new RecordRing(1_000);
    let next = 0;
    const push = (n: number) => {
      let pushed = 0;
      for (let i = 0; i < n; i++)
        if (
          ring.push(
            ++next,
            'StateChange',
            task,
            task.clock,
            task.component,
            1,
            0,
            0,
            [],
            `v${next}`,
            next,
            next,
            'a.ts:1:1',
            'Write',
          )
        )
          pushed++;
      return pushed;
    };
    const taken: number[] = [];
    expect(push(200)).toBe(200);
    taken.push(...ring.shift(150).map((r) => r.seq));
    expect(push(300)).toBe(300); // wraps inside the first allocation, then grows
    taken.push(...ring.shift(100).map((r) => r.seq));
    expect(push(2_000)).toBe(750); // up to the capacity, no further
    expect(ring.size).toBe(1_000);
    const rest = ring.shift(5_000);
    taken.push(...rest.map((r) => r.seq));
    expect(rest.at(-1)!.name).toBe(`v${rest.at(-1)!.seq}`);
    expect(taken).toEqual(Array.from({ length: 1_250 }, (_, i) => i + 1));
  });
});
