import { setTimeout as sleep } from 'node:timers/promises';
import { beforeEach, describe, expect, it } from 'vitest';
import { bindContext, captureContext, RacewayClient, replaceDefaultClient, runWithContext } from '../src/index.js';
import * as rw from '../src/instrument/index.js';
import { concurrent, happensBefore, stateChanges, taskOf } from './helpers/causality.js';
import type { WireEvent } from './helpers/causality.js';

const raceway = RacewayClient.inMemory({ serviceName: 'causality-test' });
replaceDefaultClient(raceway);

let balance = 100;
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** read · await · write, like `const b = balance; await save(); balance = b - 10`. */
async function withdraw(amount: number): Promise<void> {
  const b = rw.read('balance', balance, 'bank.ts:10:13');
  await tick();
  rw.boundary();
  balance = rw.write('balance', b, b - amount, 'bank.ts:12:3');
}

const inc = () => rw.callAsync('inc', 'bank', 'bank.ts:1:1', [], () => withdraw(1));

function events(): WireEvent[] {
  return raceway.memoryEvents();
}

beforeEach(() => {
  raceway.clearMemoryEvents();
  balance = 100;
});

describe('tasks and happens-before', () => {
  it('gives the branches of Promise.all distinct, concurrent tasks', async () => {
    await raceway.startTrace('job', async () => {
      await Promise.all([inc(), inc()]);
    });
    const [r1, r2, w1, w2] = stateChanges(events(), 'balance');
    expect(taskOf(r1!)).not.toBe(taskOf(r2!));
    expect(concurrent(r1!, w2!)).toBe(true);
    expect(concurrent(r2!, w1!)).toBe(true);
  });

  it('orders sequential awaits: join, then fork', async () => {
    await raceway.startTrace('job', async () => {
      await inc();
      await inc();
    });
    const [r1, w1, r2, w2] = stateChanges(events(), 'balance');
    expect(taskOf(r1!)).not.toBe(taskOf(r2!));
    expect(happensBefore(w1!, r2!)).toBe(true);
    expect(happensBefore(r1!, w2!)).toBe(true);
  });

  it('orders the caller before its forked child, and the child before the caller only after the join', async () => {
    await raceway.startTrace('job', async () => {
      rw.write('x', 0, 1, 'a.ts:1:1');
      const p = inc();
      rw.write('x', 1, 2, 'a.ts:2:1');
      await p;
      rw.write('x', 2, 3, 'a.ts:3:1');
    });
    const xs = stateChanges(events(), 'x');
    const afterForkBeforeJoin = xs[1];
    const [childRead, childWrite] = stateChanges(events(), 'balance');
    expect(happensBefore(xs[0]!, childRead!)).toBe(true);
    expect(concurrent(afterForkBeforeJoin!, childWrite!)).toBe(true);
    expect(happensBefore(childWrite!, xs[2]!)).toBe(true);
  });

  it('does not join a child nobody awaited', async () => {
    await raceway.startTrace('job', async () => {
      void inc();
      await sleep(20);
      rw.write('x', 0, 1, 'a.ts:1:1');
    });
    const childWrite = stateChanges(events(), 'balance')[1]!;
    const later = stateChanges(events(), 'x')[0]!;
    expect(concurrent(childWrite, later)).toBe(true);
  });

  it('treats two independent traces as concurrent however far apart they ran', async () => {
    const a = raceway.startTrace('a', () => withdraw(1));
    await sleep(30); // a has finished; nothing that awaited it starts b
    const b = raceway.startTrace('b', () => withdraw(1));
    await Promise.all([a, b]);
    const [, wA, rB] = stateChanges(events(), 'balance');
    expect(wA!.raceway.seq).toBeLessThan(rB!.raceway.seq);
    expect(concurrent(wA!, rB!)).toBe(true);
  });

  it('orders what follows `await startTrace(...)` after everything the trace did (the awaiter joins it)', async () => {
    await raceway.startTrace('a', () => withdraw(1));
    const after = raceway.startTrace('b', () => withdraw(1));
    await after;
    const [, wA, rB] = stateChanges(events(), 'balance');
    expect(happensBefore(wA!, rB!)).toBe(true);
  });

  it('makes a lock release happen before the next acquire of the same lock', async () => {
    await Promise.all([
      raceway.startTrace('a', () => raceway.withLock('acct', () => withdraw(1))),
      raceway.startTrace('b', () => raceway.withLock('acct', () => withdraw(1))),
    ]);
    const [r1, w1, r2, w2] = stateChanges(events(), 'balance');
    expect(happensBefore(w1!, r2!)).toBe(true);
    expect(happensBefore(r1!, w2!)).toBe(true);
    expect(w1!.lock_set).toEqual(['acct']);
    const kinds = events().map((e) => Object.keys(e.kind)[0]);
    expect(kinds.filter((k) => k === 'LockAcquire')).toHaveLength(2);
    expect(kinds.filter((k) => k === 'LockRelease')).toHaveLength(2);
    expect(balance).toBe(98);
  });

  it('keeps different lock ids unordered', async () => {
    await Promise.all([
      raceway.startTrace('a', () => raceway.withLock('l1', () => withdraw(1))),
      raceway.startTrace('b', () => raceway.withLock('l2', () => withdraw(1))),
    ]);
    const [r1, r2, w1, w2] = stateChanges(events(), 'balance');
    expect(concurrent(r1!, w2!)).toBe(true);
    expect(concurrent(r2!, w1!)).toBe(true);
  });

  it('groups nested traced calls into the unit of the outermost one', async () => {
    await raceway.startTrace('job', async () => {
      await rw.callAsync('outer', 'bank', 'bank.ts:20:1', [], async () => {
        await inc();
      });
    });
    const calls = events().filter((e) => e.kind.FunctionCall);
    const outer = calls.find((e) => e.kind.FunctionCall.function_name === 'outer')!;
    const inner = calls.find((e) => e.kind.FunctionCall.function_name === 'inc')!;
    expect(inner.raceway.task).not.toBe(outer.raceway.task);
    expect(inner.raceway.unit).toBe(outer.raceway.task);
    expect(inner.raceway.parent_task).toBe(outer.raceway.task);
  });
});

describe('segments', () => {
  it('keeps a read-modify-write without await in one segment', async () => {
    await raceway.startTrace('job', async () => {
      await tick();
      const b = rw.read('balance', balance, 'a.ts:1:1');
      balance = rw.write('balance', b, b - 1, 'a.ts:1:1');
    });
    const [r, w] = stateChanges(events(), 'balance');
    expect(r!.raceway.segment).toBe(w!.raceway.segment);
  });

  it('starts a new segment after an await, even without an explicit boundary', async () => {
    await raceway.startTrace('job', async () => {
      rw.read('balance', balance, 'a.ts:1:1');
      await Promise.resolve();
      rw.write('balance', 1, 2, 'a.ts:2:1');
    });
    const [r, w] = stateChanges(events(), 'balance');
    expect(taskOf(r!)).toBe(taskOf(w!));
    expect(w!.raceway.segment).toBeGreaterThan(r!.raceway.segment);
  });

  it('starts a new segment for each event-emitter callback run from a new macrotask', async () => {
    const { EventEmitter } = await import('node:events');
    const emitter = new EventEmitter();
    await raceway.startTrace('job', async () => {
      emitter.on('ping', () => rw.read('balance', balance, 'a.ts:1:1'));
      emitter.emit('ping');
      await new Promise<void>((resolve) => setImmediate(() => (emitter.emit('ping'), resolve())));
    });
    const [a, b] = stateChanges(events(), 'balance');
    expect(b!.raceway.segment).not.toBe(a!.raceway.segment);
  });

  it('assigns increasing per-process sequence numbers and ids in recording order', async () => {
    await raceway.startTrace('job', () => withdraw(1));
    const all = events();
    const seqs = all.map((e) => e.raceway.seq as number);
    expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
    expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
    expect([...all.map((e) => e.id as string)].sort()).toEqual(all.map((e) => e.id));
    for (const e of all) expect(e.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('links each event to the previous event of its context, and a trace root to nothing', async () => {
    await raceway.startTrace('job', () => withdraw(1));
    const [root, read, write] = events();
    expect(root!.parent_id).toBeNull();
    expect(read!.parent_id).toBe(root!.id);
    expect(write!.parent_id).toBe(read!.id);
  });
});

describe('callbacks and background work', () => {
  it('forks a timer callback from the code that scheduled it, inside the same trace', async () => {
    await raceway.startTrace('job', async () => {
      rw.write('x', 0, 1, 'a.ts:1:1');
      await new Promise<void>((resolve) => setTimeout(() => (rw.read('x', 1, 'a.ts:2:1'), resolve()), 1));
    });
    const [w, r] = stateChanges(events(), 'x');
    expect(taskOf(r!)).not.toBe(taskOf(w!));
    expect(r!.trace_id).toBe(w!.trace_id);
    expect(happensBefore(w!, r!)).toBe(true);
  });

  it('leaves two timer callbacks unordered unless one scheduled the other', async () => {
    await raceway.startTrace('job', async () => {
      await new Promise<void>((resolve) => {
        let n = 0;
        const done = () => ++n === 2 && resolve();
        setTimeout(() => (rw.read('config', undefined, 'a.ts:1:1'), done()), 1);
        setTimeout(() => (rw.write('config', undefined, 'on', 'a.ts:2:1'), done()), 5);
      });
    });
    const [r, w] = stateChanges(events(), 'config');
    expect(concurrent(r!, w!)).toBe(true);
  });

  it('records events outside every context in background tasks instead of dropping them', async () => {
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        rw.write('counter', 0, 1, 'job.ts:1:1');
        if (stateChanges(events(), 'counter').length === 2) {
          clearInterval(timer);
          resolve();
        }
      }, 1);
    });
    const [first, second] = stateChanges(events(), 'counter');
    expect(first!.trace_id).not.toBe(second!.trace_id);
    expect(happensBefore(first!, second!)).toBe(true);
  });

  it('makes a captured context continue the trace in a new task forked at the capture point', async () => {
    const jobs: Array<() => void> = [];
    await raceway.startTrace('request', async () => {
      rw.write('job', 0, 1, 'a.ts:1:1');
      const ctx = captureContext();
      jobs.push(() => runWithContext(ctx, () => rw.read('job', 1, 'worker.ts:1:1')));
      jobs.push(bindContext(() => rw.read('job', 1, 'worker.ts:2:1')));
      rw.write('job', 1, 2, 'a.ts:2:1');
    });
    jobs.forEach((job) => job());
    const [w1, w2, r1, r2] = stateChanges(events(), 'job');
    expect(r1!.trace_id).toBe(w1!.trace_id);
    expect(taskOf(r1!)).not.toBe(taskOf(w1!));
    expect(taskOf(r1!)).not.toBe(taskOf(r2!));
    expect(happensBefore(w1!, r1!)).toBe(true);
    expect(concurrent(w2!, r1!)).toBe(true);
    expect(concurrent(r1!, r2!)).toBe(true);
  });

  it('runs a function without a context unchanged when given no captured context', () => {
    expect(captureContext()).toBeUndefined();
    expect(runWithContext(undefined, () => 42)).toBe(42);
  });
});

describe('traced calls keep their results', () => {
  it('resolves and rejects exactly as the function did, and records the error', async () => {
    const ok = await raceway.trackFunction('ok', [1], async () => 'value');
    expect(ok).toBe('value');
    const boom = new TypeError('boom');
    await expect(raceway.trackFunction('fails', [], async () => Promise.reject(boom))).rejects.toBe(boom);
    const error = events().find((e) => e.kind.Error)!;
    expect(error.kind.Error).toMatchObject({ error_type: 'TypeError', message: 'boom' });
    const returns = events().filter((e) => e.kind.Custom?.name === 'FunctionReturn');
    expect(returns.map((e) => e.kind.Custom.data.ok)).toEqual([true, false]);
    expect(Number.isInteger(returns[0]!.kind.Custom.data.duration_ns)).toBe(true);
  });

  it('returns synchronous results and rethrows synchronous errors unchanged', () => {
    expect(raceway.trackFunctionSync('sum', [1, 2], () => 3)).toBe(3);
    const boom = new Error('sync');
    expect(() =>
      raceway.trackFunctionSync('f', [], () => {
        throw boom;
      }),
    ).toThrow(boom);
  });

  it('turns a synchronous throw inside an async tracked call into a rejection', async () => {
    const boom = new Error('early');
    await expect(
      raceway.trackFunction('f', [], () => {
        throw boom;
      }),
    ).rejects.toBe(boom);
  });
});

describe('traced calls keep promise timing', () => {
  it('returns the very promise the function returned: reactions run in the same turn as without tracing', async () => {
    const plain = async () => 'a';
    let inner: Promise<string> | undefined;
    const traced = raceway.trackFunction('a', [], () => (inner = plain()));
    expect(traced).toBe(inner);
    const order: string[] = [];
    void raceway.trackFunction('a', [], plain).then(() => order.push('a'));
    void Promise.resolve().then(() => order.push('b'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(['a', 'b']);
  });

  it('joins a child into whoever reacts to its promise: await, then, Promise.all, an async function returning it', async () => {
    const shapes: Record<string, (p: () => Promise<void>) => Promise<unknown>> = {
      await: async (p) => {
        await p();
      },
      then: (p) => p().then(() => undefined),
      all: (p) => Promise.all([p()]),
      returned: async (p) => p(),
    };
    for (const [shape, consume] of Object.entries(shapes)) {
      raceway.clearMemoryEvents();
      await raceway.startTrace(shape, async () => {
        await consume(inc);
        rw.write('balance', balance, balance, 'after.ts:1:1');
      });
      const [, w, after] = stateChanges(events(), 'balance');
      expect(happensBefore(w!, after!), shape).toBe(true);
    }
  });

  it('records the end of a call once someone reacts to it, and its error', async () => {
    const boom = new Error('late');
    const p = raceway.trackFunction('later', [], async () => {
      await tick();
      throw boom;
    });
    await expect(p).rejects.toBe(boom);
    const ends = events().filter((e) => e.kind.Custom?.name === 'FunctionReturn');
    expect(ends.map((e) => e.kind.Custom.data.ok)).toEqual([false]);
    expect(events().find((e) => e.kind.Error)!.kind.Error.message).toBe('late');
  });
});
