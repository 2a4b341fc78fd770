import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { RacewayClient, replaceDefaultClient } from '@raceway/runtime';
import * as rw from '@raceway/runtime/instrument';
import {
  accessesFrom,
  analyze,
  buildApp,
  IncrementalAnalysis,
  SqliteStore,
  startServer,
  toReport,
} from '@raceway/server';
import type { Race } from '@raceway/server';
import { cli, serve } from './helpers/serve.js';

/**
 * The detector on events it did not produce: the exact shapes of the Python, Go, Rust and original
 * TypeScript Raceway SDKs (threads, `lock_set: []`, locks as LockAcquire/LockRelease events, clocks that
 * do not compare), and on our runtime for the rules that are about JavaScript.
 */
type Sdk = 'python' | 'go' | 'rust' | 'ts-original';
const T0 = Date.parse('2026-11-30T02:49:47.000Z');

/** One event as each SDK writes it (see the wire reference): timestamps, thread names, clocks, tags. */
function sdkEvent(
  sdk: Sdk,
  o: {
    trace: string;
    thread: string;
    ms: number;
    kind: Record<string, unknown>;
    service?: string;
    instance?: string;
    n?: number;
  },
): Record<string, unknown> {
  const iso = new Date(T0 + o.ms).toISOString();
  const service = o.service ?? `${sdk}-svc`;
  const instance = o.instance ?? 'vm-4242';
  const timestamp =
    sdk === 'python'
      ? iso.replace('Z', '000+00:00')
      : sdk === 'rust' || sdk === 'go'
        ? iso.replace('Z', '123456Z')
        : iso;
  return {
    id: randomUUID(),
    trace_id: o.trace,
    parent_id: null,
    timestamp,
    kind: o.kind,
    metadata: {
      thread_id: o.thread,
      process_id: 4242,
      service_name: service,
      environment: 'dev',
      tags: { sdk_language: sdk === 'ts-original' ? 'typescript' : sdk },
      instance_id: instance,
    },
    causality_vector: sdk === 'ts-original' ? [[randomUUID(), o.n ?? 1]] : [[`${service}#${instance}`, o.n ?? 1]],
    lock_set: [],
  };
}
const read = (variable: string, value: unknown, location: string) => ({
  StateChange: { variable, old_value: null, new_value: value, location, access_type: 'Read' },
});
const write = (variable: string, value: unknown, location: string) => ({
  StateChange: { variable, old_value: null, new_value: value, location, access_type: 'Write' },
});
const acquire = (lock: string) => ({
  LockAcquire: { lock_id: lock, lock_type: 'Mutex', location: 'contextlib.py:137' },
});
const release = (lock: string) => ({
  LockRelease: { lock_id: lock, lock_type: 'Mutex', location: 'contextlib.py:144' },
});

const races = (events: Array<Record<string, unknown>>) => analyze(accessesFrom(events as never)).races;
const summary = (list: Race[]) => list.map((r) => `${r.severity} ${r.kind} ${r.variable}`);

/** Two threads of one process each doing `steps` (ms offsets interleave them). */
function twoThreads(
  sdk: Sdk,
  steps: (thread: 'A' | 'B') => Array<[number, Record<string, unknown>]>,
  options: { trace?: (t: 'A' | 'B') => string; thread?: (t: 'A' | 'B') => string } = {},
) {
  const shared = randomUUID();
  return (['A', 'B'] as const).flatMap((t) => {
    const trace = options.trace?.(t) ?? shared;
    return steps(t).map(([ms, kind], n) =>
      sdkEvent(sdk, {
        trace,
        thread: options.thread?.(t) ?? `${sdk}-4242-${t === 'A' ? '0a0a0a0a' : '0b0b0b0b'}`,
        ms,
        kind,
        n: n + 1,
      }),
    );
  });
}

/** Each of two threads in its own trace and process (`service`/`instance` per thread). */
function perThread(
  steps: (t: 'A' | 'B') => Array<[number, Record<string, unknown>]>,
  where: (t: 'A' | 'B') => { service: string; instance?: string },
) {
  return (['A', 'B'] as const).flatMap((t) => {
    const trace = randomUUID();
    return steps(t).map(([ms, kind], n) =>
      sdkEvent('python', { trace, thread: `t-${t}`, ms, kind, n: n + 1, ...where(t) }),
    );
  });
}

describe('locks of every Raceway SDK (LockAcquire/LockRelease, empty lock_set)', () => {
  for (const sdk of ['python', 'go', 'rust', 'ts-original'] as const) {
    it(`${sdk}: read → write inside the same lock in two threads is no race; without the lock it is a lost update`, () => {
      const locked = (t: 'A' | 'B'): Array<[number, Record<string, unknown>]> => {
        const at = t === 'A' ? 0 : 5;
        return [
          [at, acquire('safe_lock')],
          [at + 1, read('safe_counter', 1, 'app.py:10')],
          [at + 2, write('safe_counter', 2, 'app.py:11')],
          [at + 3, release('safe_lock')],
        ];
      };
      expect(races(twoThreads(sdk, locked))).toEqual([]);
      const bare = (t: 'A' | 'B'): Array<[number, Record<string, unknown>]> =>
        t === 'A'
          ? [
              [0, read('c', 1, 'app.py:20')],
              [10, write('c', 2, 'app.py:22')],
            ]
          : [[5, write('c', 2, 'app.py:22')]];
      expect(summary(races(twoThreads(sdk, bare)))).toEqual(['critical lost-update c']);
    });
  }

  it('handles reentrancy, a release without an acquire, a thread that never releases, and events that arrive out of order', () => {
    const steps = (t: 'A' | 'B'): Array<[number, Record<string, unknown>]> => {
      const at = t === 'A' ? 0 : 10;
      return [
        [at, release('other')], // released without being held: releases nothing
        [at + 1, acquire('m')],
        [at + 2, acquire('m')], // reentrant
        [at + 3, read('n', 1, 'r.py:5')],
        [at + 4, release('m')], // still held once
        [at + 5, write('n', 2, 'r.py:7')],
        ...(t === 'A' ? ([[at + 6, release('m')]] as Array<[number, Record<string, unknown>]>) : []), // B never releases
      ];
    };
    const events = twoThreads('python', steps);
    expect(races(events)).toEqual([]);
    // The same events split over batches that arrived in another order.
    const shuffled = [...events.slice(7), ...events.slice(0, 7)].reverse();
    expect(races(shuffled)).toEqual([]);
  });

  it('orders two separately locked sections through release → acquire (no stale read of its own write)', () => {
    const steps = (t: 'A' | 'B'): Array<[number, Record<string, unknown>]> =>
      t === 'A'
        ? [
            [0, acquire('m')],
            [1, write('x', 1, 'loop.py:3')],
            [2, release('m')],
            [10, acquire('m')],
            [11, read('x', 5, 'loop.py:6')],
            [12, release('m')],
          ]
        : [
            [5, acquire('m')],
            [6, write('x', 5, 'loop.py:3')],
            [7, release('m')],
          ];
    expect(races(twoThreads('python', steps))).toEqual([]);
  });
});

describe('threads are not JavaScript tasks', () => {
  it('reports no multi-variable atomicity violation across unrelated variables of a thread', () => {
    const steps = (t: 'A' | 'B'): Array<[number, Record<string, unknown>]> => {
      const at = t === 'A' ? 0 : 1;
      return [
        [at, read('counter', 1, 'a.py:1')],
        [at + 4, acquire('safe_lock')],
        [at + 5, read('safe_counter', 1, 'a.py:5')],
        [at + 6, write('safe_counter', 2, 'a.py:6')],
        [at + 7, release('safe_lock')],
      ];
    };
    expect(races(twoThreads('python', steps))).toEqual([]);
  });

  it('reports a multi-variable violation inside a function call the SDK delimited (Go: FunctionCall … FunctionReturn), and not outside one', () => {
    const call = { FunctionCall: { function_name: 'transfer', module: 'bank', args: {}, file: 'bank.go', line: 10 } };
    const ret = { FunctionReturn: { function_name: 'transfer' } };
    const steps =
      (delimited: boolean) =>
      (t: 'A' | 'B'): Array<[number, Record<string, unknown>]> =>
        t === 'A'
          ? [
              ...(delimited ? ([[0, call]] as Array<[number, Record<string, unknown>]>) : []),
              [1, write('from', 90, 'bank.go:12')],
              [10, write('to', 110, 'bank.go:14')],
              ...(delimited ? ([[11, ret]] as Array<[number, Record<string, unknown>]>) : []),
            ]
          : [
              [5, read('from', 90, 'audit.go:3')],
              [6, read('to', 100, 'audit.go:4')],
            ];
    expect(summary(races(twoThreads('go', steps(true))))).toEqual(['critical inconsistent-read from, to']);
    expect(races(twoThreads('go', steps(false)))).toEqual([]);
    // The return arriving in a later batch closes the call then.
    const events = twoThreads('go', steps(true));
    const incremental = new IncrementalAnalysis();
    const returns = events.filter((e) => 'FunctionReturn' in (e.kind as object));
    incremental.add(events.filter((e) => !returns.includes(e)) as never);
    expect(incremental.races()).toEqual([]);
    incremental.add(returns as never);
    expect(summary(incremental.races())).toEqual(['critical inconsistent-read from, to']);
    // Pages taken in one by one and settled once (a store read in pages) give the same races as one add,
    // also when a late page makes a process's threads be replayed.
    const paged = new IncrementalAnalysis();
    paged.ingest(events.filter((e) => !returns.includes(e)) as never);
    paged.ingest(returns as never);
    paged.ingest([...events].reverse().slice(0, 1) as never); // a repeat of an early event, out of order
    paged.settle();
    const whole = new IncrementalAnalysis();
    whole.add(events as never);
    whole.add([...events].reverse().slice(0, 1) as never);
    expect(summary(paged.races())).toEqual(summary(whole.races()));
    expect(paged.size).toBe(whole.size);
  });

  it('compares two traces served by one reused OS thread (Rust ThreadId)', () => {
    const steps = (t: 'A' | 'B'): Array<[number, Record<string, unknown>]> =>
      t === 'A'
        ? [
            [0, read('stock', 5, 'src/main.rs:30')],
            [10, write('stock', 4, 'src/main.rs:32')],
          ]
        : [[5, write('stock', 4, 'src/main.rs:32')]];
    const sameThread = twoThreads('rust', steps, { trace: () => randomUUID(), thread: () => 'ThreadId(2)' });
    expect(summary(races(sameThread))).toEqual(['critical lost-update stock']);
  });
});

describe('in-memory state belongs to one process', () => {
  const lost = (t: 'A' | 'B'): Array<[number, Record<string, unknown>]> =>
    t === 'A'
      ? [
          [0, read('safe_counter', 1, 'x.py:1')],
          [10, write('safe_counter', 2, 'x.py:2')],
        ]
      : [[5, write('safe_counter', 2, 'x.py:2')]];

  it('never compares variables of two services, or of two replicas of one service', () => {
    // The same events in one process are a lost update; in two services, or two replicas, nothing.
    expect(summary(races(perThread(lost, () => ({ service: 'api' }))))).toEqual(['critical lost-update safe_counter']);
    expect(races(perThread(lost, (t) => ({ service: t === 'A' ? 'py-interop' : 'py-lock-only' })))).toEqual([]);
    expect(races(perThread(lost, (t) => ({ service: 'api', instance: `vm-${t}` })))).toEqual([]);
  });

  it('compares state declared shared (`shared:` prefix) across processes and services', () => {
    const sharedLost = (t: 'A' | 'B'): Array<[number, Record<string, unknown>]> =>
      lost(t).map(([ms, kind]) => [
        ms,
        JSON.parse(JSON.stringify(kind).replace('"safe_counter"', '"shared:db.counter"')),
      ]);
    const found = races(
      perThread(sharedLost, (t) => ({ service: t === 'A' ? 'orders' : 'billing', instance: `vm-${t}` })),
    );
    expect(summary(found)).toEqual(['critical lost-update shared:db.counter']);
    expect(found[0]!.orderFromTimestamps).toBe(true);
  });
});

/** Our runtime: the scenarios are run for real, as in analysis.test.ts. */
async function scenario(body: (client: RacewayClient) => Promise<void>): Promise<Race[]> {
  const client = RacewayClient.inMemory({ serviceName: 'shop' });
  replaceDefaultClient(client);
  await body(client);
  return analyze(accessesFrom(client.memoryEvents() as never)).races;
}

describe('the simplest true explanation, once', () => {
  it("reports the shelf's lost update at its own lines, and no atomicity violation that mixes it with the price cache", async () => {
    const shelf: Record<string, number> = { 'blue-mug': 10 };
    let prices: Record<string, number> | null = null;
    const buy = async () => {
      // A lazily initialised price cache, then the shelf's read → await → write.
      if (!rw.read('prices', prices, 'inventory.ts:12:8')) {
        await sleep(5);
        rw.boundary();
        prices = rw.write('prices', prices, { 'blue-mug': 12 }, 'inventory.ts:14:5');
      }
      const left = rw.read('shelf[blue-mug]', shelf['blue-mug'], 'inventory.ts:25:16');
      await sleep(10);
      rw.boundary();
      shelf['blue-mug'] = rw.write('shelf[blue-mug]', shelf['blue-mug'], left! - 1, 'inventory.ts:29:3');
    };
    const found = await scenario(async (c) => {
      await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          c.startTrace(`buy-${i}`, async () => {
            await sleep(i * 3);
            rw.boundary();
            await buy();
          }),
        ),
      );
    });
    const lost = found.find((r) => r.kind === 'lost-update' && r.variable === 'shelf[blue-mug]');
    expect(lost, summary(found).join('\n')).toBeDefined();
    expect(lost!.severity).toBe('critical');
    expect(lost!.accesses.map((a) => `${a.write ? 'W' : 'R'} ${a.location}`)).toEqual([
      'R inventory.ts:25:16',
      'W inventory.ts:29:3',
      'W inventory.ts:29:3',
    ]);
    // Whatever the schedule (timers run late on a busy machine), a multi-variable violation is never reported
    // for two units that a single-variable race already involves.
    const pairOf = (r: Race) => [...new Set(r.accesses.map((a) => a.task))].sort().join(' ');
    const single = new Set(found.filter((r) => r.kind !== 'atomicity-violation').map(pairOf));
    const mixed = found.filter((r) => r.kind === 'atomicity-violation' && single.has(pairOf(r)));
    expect(
      mixed.map((r) => [
        r.variable,
        r.accesses.map((a) => `${a.write ? 'W' : 'R'} ${a.variable} ${a.location} ${a.task}`),
      ]),
    ).toEqual([]);
    expect(
      found.filter(
        (r) => r.kind === 'atomicity-violation' && r.variable.includes('shelf') && !r.variable.includes('prices'),
      ),
    ).toEqual([]);
    const titles = found.map((r) => `${r.severity} ${r.kind} ${r.variable}`);
    expect(new Set(titles).size).toBe(titles.length);
  });
});

describe('awaiting traced work joins it', () => {
  let n = 0;
  const inc = async (where: string) => {
    const v = rw.read('n', n, `${where}:1:1`);
    await sleep(5);
    rw.boundary();
    n = rw.write('n', n, v + 1, `${where}:3:1`);
  };

  it('after Promise.all / allSettled / race over traces, only the traces race with each other, never with what follows', async () => {
    for (const combine of ['all', 'allSettled', 'race'] as const) {
      n = rw.write('n', n, 0, 'init.ts:1:1');
      const found = await scenario(async (c) => {
        const jobs = [c.startTrace('a', () => inc('job.ts')), c.startTrace('b', () => inc('job.ts'))];
        if (combine === 'race') await Promise.all(jobs.map((j) => Promise.race([j])));
        else if (combine === 'all') await Promise.all(jobs);
        else await Promise.allSettled(jobs);
        rw.boundary();
        rw.read('n', n, 'after.ts:9:1');
      });
      const locations = found.flatMap((r) => r.accesses.map((a) => a.location));
      expect(locations, combine).not.toContain('after.ts:9:1');
      expect(locations, combine).not.toContain('init.ts:1:1');
      expect(
        found.map((r) => r.kind),
        combine,
      ).toContain('lost-update');
    }
  });

  it('after `await trackFunction(...)` nothing races with what the call did', async () => {
    const found = await scenario(async (c) => {
      await c.startTrace('main', async () => {
        await c.trackFunction('inc', [], () => inc('fn.ts'));
        rw.boundary();
        rw.read('n', n, 'after.ts:9:1');
      });
      await c.trackFunction('inc', [], () => inc('fn.ts'));
      rw.boundary();
      rw.read('n', n, 'after.ts:12:1');
    });
    expect(found).toEqual([]);
  });
});

describe("work inside a request's event-emitter callbacks", () => {
  it('a plain node:http handler doing read · await · write in req.on("end"): two concurrent requests are a lost update', async () => {
    const http = await import('node:http');
    let stock = 10;
    const found = await scenario(async (c) => {
      const server = http.createServer(
        c.wrapHandler((req, res) => {
          req.on('data', () => undefined);
          req.on('end', async () => {
            const left = rw.read('stock', stock, 'shop.js:8:20');
            await sleep(20);
            rw.boundary();
            stock = rw.write('stock', stock, left - 1, 'shop.js:10:5');
            res.end(String(stock));
          });
        }),
      );
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
      await Promise.all(
        [fetch(url, { method: 'POST', body: 'a' }), fetch(url, { method: 'POST', body: 'b' })].map((p) =>
          p.then((r) => r.text()),
        ),
      );
      await new Promise((resolve) => server.close(resolve));
    });
    expect(summary(found)).toEqual(['critical lost-update stock']);
  });
});

describe('a lock the detector cannot see', () => {
  let stock = 10;
  const reserve = async () => {
    const left = rw.read('stock', stock, 'stock.ts:4:16');
    await sleep(15);
    rw.boundary();
    stock = rw.write('stock', stock, left - 1, 'stock.ts:6:3');
  };

  it('says so beside a predicted race whose units ran back to back, as a hand-written mutex makes them', async () => {
    let tail: Promise<void> = Promise.resolve();
    const mutex = <T>(fn: () => Promise<T>): Promise<T> => {
      const run = tail.then(fn);
      tail = run.then(
        () => undefined,
        () => undefined,
      );
      return run;
    };
    const found = await scenario(async (c) => {
      await Promise.all([c.startTrace('A', () => mutex(reserve)), c.startTrace('B', () => mutex(reserve))]);
    });
    expect(summary(found)).toEqual(['warning lost-update stock']);
    expect(found[0]!.hint).toMatch(/withLock|trackLockAcquire/);
    expect(toReport(found, { events: 4, traces: 2 }).races[0]!.hint).toBe(found[0]!.hint);
  });

  it('gives no such hint when the units simply ran at different times, and no race at all with withLock', async () => {
    const apart = await scenario(async (c) => {
      // Two independent requests, 60 ms apart (nothing that awaited A started B).
      const a = c.startTrace('A', reserve);
      await sleep(60);
      const b = c.startTrace('B', reserve);
      await Promise.all([a, b]);
    });
    expect(summary(apart)).toEqual(['warning lost-update stock']);
    expect(apart[0]!.hint).toBeUndefined();
    const locked = await scenario(async (c) => {
      await Promise.all([
        c.startTrace('A', () => c.withLock('stock', reserve)),
        c.startTrace('B', () => c.withLock('stock', reserve)),
      ]);
    });
    expect(locked).toEqual([]);
  });
});

describe('analysis on hostile input', () => {
  it('keeps the report bounded on adversarial shapes: 700 two-access units at distinct locations', () => {
    const events: Array<Record<string, unknown>> = [];
    const trace = randomUUID();
    for (let u = 0; u < 700; u++) {
      // Every unit reads x, then (much later) writes it: every pair of units could interleave.
      events.push({
        ...sdkEvent('ts-original', { trace, thread: 'x', ms: u, kind: read('x', u, `gen.ts:${u}:1`) }),
        raceway: { v: 1, seq: u * 2, task: `t${u}`, unit: `t${u}`, process: 'p', segment: u * 2, time_us: u * 1000 },
      });
      events.push({
        ...sdkEvent('ts-original', { trace, thread: 'x', ms: 1000 + u, kind: write('x', u, `gen.ts:${u}:9`) }),
        raceway: {
          v: 1,
          seq: u * 2 + 1,
          task: `t${u}`,
          unit: `t${u}`,
          process: 'p',
          segment: u * 2 + 1,
          time_us: (1000 + u) * 1000,
        },
      });
    }
    const found = races(events);
    const report = toReport(found, { events: events.length, traces: 1 });
    expect(report.races.length).toBeLessThanOrEqual(2);
    expect(report.races[0]!.occurrences).toBeGreaterThan(100);
    expect(JSON.stringify(report).length).toBeLessThan(100_000);
  });

  it('still predicts a race when thousands of harmless reads come first', () => {
    const trace = randomUUID();
    const ours = (task: string, seq: number, kind: Record<string, unknown>) => ({
      ...sdkEvent('ts-original', { trace, thread: task, ms: seq, kind }),
      causality_vector: [[task, 1]],
      raceway: { v: 1, seq, task, unit: task, process: 'p', segment: seq, time_us: seq * 1000 },
    });
    const events = Array.from({ length: 3000 }, (_, i) => ours(`reader${i}`, i, read('x', 1, 'view.ts:3:1')));
    events.push(
      ours('a', 5000, read('x', 1, 'buy.ts:10:1')),
      ours('a', 5001, write('x', 0, 'buy.ts:12:1')),
      ours('b', 6000, write('x', 5, 'admin.ts:4:1')),
    );
    expect(summary(races(events))).toEqual(['warning lost-update x']);
  });

  it("refuses values nested deeper than 64 levels at ingest, and no stored event breaks analysis, the report or a trace's page", async () => {
    const store = new SqliteStore(':memory:');
    const { app } = buildApp({ store });
    // 5,000 levels: more than JSON.stringify can write back (it overflows the stack), so built as text.
    const deepText = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;
    const deep: unknown = JSON.parse(deepText);
    const trace = randomUUID();
    const body = (valueText: string) => {
      const event = sdkEvent('python', { trace, thread: 'A', ms: 0, kind: write('cfg', 'VALUE', 'a.py:1') });
      return { id: event.id as string, text: JSON.stringify({ events: [event] }).replace('"VALUE"', valueText) };
    };
    const res = await app.inject({
      method: 'POST',
      url: '/events',
      headers: { 'content-type': 'application/json' },
      payload: body(deepText).text,
    });
    expect(res.json().data).toMatchObject({
      inserted: 0,
      rejected: 1,
      errors: [{ index: 0, reason: expect.stringMatching(/deeper than 64/) }],
    });
    // An older server stored one anyway.
    const stored = body(deepText);
    store.insertBatches([
      {
        body: stored.text,
        rows: [[stored.id, trace, 'StateChange', 'python-svc', null, null, '2026-11-30T02:49:47.000000+00:00', 0]],
      },
    ]);
    const hostile = twoThreads('python', (t) =>
      t === 'A'
        ? [
            [0, read('cfg', deep, 'a.py:2')],
            [10, write('cfg', deep, 'a.py:3')],
          ]
        : [[5, write('cfg', 'x'.repeat(3_000_000), 'a.py:3')]],
    );
    expect(races(hostile).map((r) => r.kind)).toEqual(['lost-update']);
    for (const url of ['/api/races', `/api/traces/${trace}`, '/api/traces'])
      expect((await app.inject({ url })).statusCode, url).toBe(200);
    await app.close();
    store.close();
  });
});

describe('incremental analysis', () => {
  /** A deterministic pseudo-random source, so a failure can be replayed. */
  function random(seed: number): () => number {
    let x = seed;
    return () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  }

  /** A mixed stream: threads of two Python processes with locks, and our tasks with awaits, over a few variables. */
  function stream(seed: number): Array<Record<string, unknown>> {
    const next = random(seed);
    const events: Array<Record<string, unknown>> = [];
    const variables = ['a', 'b', 'c', 'shared:row'];
    // Distinct times: events at the same instant have no real order to agree on.
    const used = new Set<number>();
    const at = (ms: number) => {
      while (used.has(ms)) ms++;
      used.add(ms);
      return ms;
    };
    for (let t = 0; t < 24; t++) {
      const trace = randomUUID();
      const start = Math.floor(next() * 200);
      if (t % 2 === 0) {
        const service = t % 4 === 0 ? 'py-1' : 'py-2';
        let ms = start;
        const locked = next() < 0.4;
        if (locked)
          events.push(sdkEvent('python', { trace, thread: `th-${t}`, ms: (ms = at(ms)), kind: acquire('m'), service }));
        for (let k = 0; k < 3; k++) {
          const v = variables[Math.floor(next() * variables.length)]!;
          ms = at(ms + 1 + Math.floor(next() * 20));
          events.push(
            sdkEvent('python', {
              trace,
              thread: `th-${t}`,
              ms,
              kind: next() < 0.5 ? read(v, k, `p.py:${k}`) : write(v, k, `p.py:${k + 10}`),
              service,
            }),
          );
        }
        if (locked)
          events.push(sdkEvent('python', { trace, thread: `th-${t}`, ms: at(ms + 1), kind: release('m'), service }));
      } else {
        let ms = start;
        for (let k = 0; k < 4; k++) {
          const v = variables[Math.floor(next() * variables.length)]!;
          ms = at(ms + 1 + Math.floor(next() * 15));
          events.push({
            ...sdkEvent('ts-original', {
              trace,
              thread: 'main',
              ms,
              kind: next() < 0.5 ? read(v, k, `t.ts:${k}:1`) : write(v, k, `t.ts:${k + 10}:1`),
              service: 'node',
            }),
            causality_vector: [[`task-${t}`, k + 1]],
            raceway: {
              v: 1,
              seq: t * 100 + k,
              task: `task-${t}`,
              unit: `task-${t}`,
              process: 'node#1',
              segment: t * 100 + Math.floor(k / 2),
              time_us: (T0 + ms) * 1000,
            },
          });
        }
      }
    }
    return events;
  }

  const shape = (list: Race[]) =>
    list
      .map(
        (r) =>
          `${r.severity} ${r.kind} ${r.variable} x${r.occurrences}+${r.possibleOccurrences} ${r.accesses.map((a) => a.location).join(' ')}`,
      )
      .sort();

  it('finds what a whole analysis finds, whatever the batches and their order of arrival', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const events = stream(seed);
      const whole = shape(analyze(accessesFrom(events as never)).races);
      const next = random(seed * 7);
      const shuffled = [...events].sort(() => next() - 0.5); // batches arrive in any order
      const incremental = new IncrementalAnalysis();
      for (let from = 0; from < shuffled.length;) {
        const size = 1 + Math.floor(next() * 12);
        incremental.add(shuffled.slice(from, from + size) as never);
        from += size;
        incremental.races();
      }
      expect(shape(incremental.races()), `seed ${seed}`).toEqual(whole);
      expect(whole.length, `seed ${seed}`).toBeGreaterThan(0);
    }
  });
});

describe('traces an SDK did not send', () => {
  it('leaves out traces cut short, and the report says how many traces each service did not send', async () => {
    const lost = twoThreads('python', (t) =>
      t === 'A'
        ? [
            [0, read('c', 1, 'app.py:20')],
            [10, write('c', 2, 'app.py:22')],
          ]
        : [[5, write('c', 2, 'app.py:22')]],
    );
    const truncatedTrace = lost[0]!.trace_id as string;
    const drop = {
      ...sdkEvent('python', {
        trace: randomUUID(),
        thread: 'main',
        ms: 20,
        kind: {
          Custom: {
            name: 'RacewayDropped',
            data: { dropped_traces: 7, truncated_traces: [truncatedTrace], truncated_count: 1, service: 'python-svc' },
          },
        },
      }),
    };
    const incremental = new IncrementalAnalysis();
    incremental.add(lost as never);
    expect(summary(incremental.races())).toEqual(['critical lost-update c']);
    incremental.add([drop] as never); // the report arrives after the trace's events
    expect(incremental.races()).toEqual([]);
    expect(incremental.notAnalysed()).toEqual([
      { service: 'python-svc', process: 'python-svc#vm-4242', droppedTraces: 7, truncatedTraces: 1 },
    ]);

    const server = await startServer({ host: '127.0.0.1', port: 0, db: ':memory:', apiKeys: [], logLevel: 'silent' });
    try {
      await fetch(`${server.url}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ events: [...lost, drop] }),
      });
      const report = (await (await fetch(`${server.url}/api/races`)).json()) as {
        data: { races: unknown[]; stats: { tracesNotAnalysed: unknown } };
      };
      expect(report.data.races).toEqual([]);
      expect(report.data.stats.tracesNotAnalysed).toEqual([{ service: 'python-svc', dropped: 7, truncated: 1 }]);
      const { stdout } = await promisify(execFile)(process.execPath, [cli, 'races', '--endpoint', server.url], {
        encoding: 'utf8',
      });
      expect(stdout).toContain(
        '8 traces were not analysed (7 dropped whole, 1 cut short by service python-svc under load)',
      );
    } finally {
      await server.close();
    }
  });
});

describe('analysis off the HTTP thread', () => {
  it('answers /health and ingest while a long analysis runs on its own thread', async () => {
    const server = await serve([
      '--db',
      path.join(process.cwd(), 'test-output', `analysis-thread-${randomUUID()}.db`),
      '--log-level',
      'warn',
    ]);
    try {
      // 60,000 units that could each interleave with every other: a few seconds of analysis.
      const trace = randomUUID();
      for (let from = 0; from < 60_000; from += 5_000) {
        const events = [];
        for (let u = from; u < from + 5_000; u++) {
          for (const phase of [0, 1]) {
            events.push({
              ...sdkEvent('ts-original', {
                trace,
                thread: 'x',
                ms: 0,
                kind: (phase ? write : read)('x', u, `gen.ts:${u}:${phase}`),
              }),
              causality_vector: [[`t${u}`, phase + 1]],
              raceway: {
                v: 1,
                seq: phase * 60_000 + u,
                task: `t${u}`,
                unit: `t${u}`,
                process: 'p',
                segment: u * 2 + phase,
                time_us: (phase * 60_000 + u) * 10,
              },
            });
          }
        }
        const res = await fetch(`${server.url}/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ events }),
        });
        expect(res.status).toBe(200);
      }
      const order: string[] = [];
      const races = fetch(`${server.url}/api/races`).then(async (r) => {
        order.push('races');
        return (await r.json()) as { data: { races: Array<{ occurrences: number }> } };
      });
      await new Promise((resolve) => setTimeout(resolve, 50)); // the analysis has started
      const health = await fetch(`${server.url}/health`);
      order.push('health');
      const ingest = await fetch(`${server.url}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ events: [] }),
      });
      order.push('ingest');
      expect(health.status).toBe(200);
      expect(ingest.status).toBe(200);
      const report = await races;
      expect(order).toEqual(['health', 'ingest', 'races']);
      expect(report.data.races[0]!.occurrences).toBeGreaterThan(1000);
    } finally {
      await server.stop();
    }
    // 120 000 events posted and seconds of analysis: far longer than the default on a busy machine.
  }, 90_000);

  it('`raceway run` always exits, with its report, whatever the program sent', async () => {
    const program = `
      const post = (body) => fetch(process.env.RACEWAY_ENDPOINT + '/events', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const event = (value, thread, ms, access) => '{"id":"' + crypto.randomUUID() + '","trace_id":"0af76519-16cd-43dd-8448-eb211c80319c","timestamp":"2026-11-30T02:49:47.' + String(ms).padStart(3, '0') + 'Z","kind":{"StateChange":{"variable":"cfg","new_value":' + value + ',"location":"a.py:' + ms + '","access_type":"' + access + '"}},"metadata":{"thread_id":"' + thread + '","service_name":"py"},"causality_vector":[],"lock_set":[]}';
      const deep = '{"a":'.repeat(5000) + '1' + '}'.repeat(5000);
      const big = JSON.stringify('x'.repeat(3000000));
      await post('{"events":[' + [event(deep, 'A', 1, 'Read'), event(big, 'A', 3, 'Read'), event(big, 'B', 5, 'Write'), event('{"__proto__":{"x":1}}', 'A', 9, 'Write')].join(',') + ']}');
    `;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [cli, 'run', '--', process.execPath, '--input-type=module', '-e', program],
      { encoding: 'utf8', timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
    );
    expect(stdout).toMatch(/lost update on cfg/);
    expect(stdout.length).toBeLessThan(20_000);
  });
});
