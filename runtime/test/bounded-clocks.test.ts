import { setTimeout as sleep } from 'node:timers/promises';
import { beforeEach, describe, expect, it } from 'vitest';
import { RacewayClient, replaceDefaultClient } from '../src/index.js';
import { MAX_CLOCK_COMPONENTS } from '../src/context/causality.js';
import * as rw from '../src/instrument/index.js';
import { componentOf, concurrent, foldsOf, happensBefore, stateChanges, taskOf } from './helpers/causality.js';
import type { WireEvent } from './helpers/causality.js';

/**
 * Clocks are bounded by the tasks alive at once, not by how many ever existed: a long interval, a chain
 * of timers, a loop of awaited calls and a join of many calls keep every event's vector small, and the
 * order between the events stays what it was (including what must stay unordered).
 */
const raceway = RacewayClient.inMemory({ serviceName: 'bounded-clocks' });
replaceDefaultClient(raceway);

const events = (): WireEvent[] => raceway.memoryEvents();
const widest = (list: WireEvent[]) => Math.max(...list.map((e) => (e.causality_vector as unknown[]).length));
const call = (name: string, fn: () => Promise<unknown>) => rw.callAsync(name, 'm', 'm.ts:1:1', [], fn);

beforeEach(() => raceway.clearMemoryEvents());

describe('bounded vector clocks', () => {
  it('keeps one component for the runs of an interval, each run ordered after the previous', async () => {
    await raceway.startTrace('poller', async () => {
      await new Promise<void>((resolve) => {
        let runs = 0;
        const timer = setInterval(() => {
          rw.write('ticks', runs, runs + 1, 'poll.ts:3:5');
          if (++runs === 300) {
            clearInterval(timer);
            resolve();
          }
        }, 1);
      });
    });
    const writes = stateChanges(events(), 'ticks');
    expect(writes).toHaveLength(300);
    expect(widest(events())).toBeLessThanOrEqual(4);
    expect(new Set(writes.map(componentOf)).size).toBe(1);
    for (let i = 1; i < writes.length; i++) expect(happensBefore(writes[i - 1]!, writes[i]!)).toBe(true);
    expect(new Set(writes.map(taskOf)).size).toBe(300); // still a task per run
  });

  it('keeps a chain of 20,000 immediates, each scheduled last, to a few components', async () => {
    await new Promise<void>((resolve) => {
      let n = 0;
      const step = () => {
        rw.write('n', n, n + 1, 'chain.ts:2:3');
        if (++n === 20_000) resolve();
        else setImmediate(step);
      };
      setImmediate(step);
    });
    const writes = stateChanges(events(), 'n');
    expect(writes).toHaveLength(20_000);
    expect(widest(events())).toBeLessThanOrEqual(4);
    expect(happensBefore(writes[0]!, writes.at(-1)!)).toBe(true);
    expect(happensBefore(writes[19_000]!, writes[19_001]!)).toBe(true);
  });

  it('folds the clock of a chain that records after scheduling, and keeps it ordered through the folds', async () => {
    await new Promise<void>((resolve) => {
      let n = 0;
      const step = () => {
        rw.write('m', n, n + 1, 'chain.ts:2:3');
        if (++n < 2_000) setImmediate(step);
        else setImmediate(resolve);
        // Recording again in a later segment keeps the component with this task: each run of the chain
        // then starts a component of its own, and the chain's clock grows until it is folded.
        rw.boundary();
        rw.write('after', n, n, 'chain.ts:7:3');
      };
      setImmediate(step);
    });
    const all = events();
    const writes = stateChanges(all, 'm');
    const after = stateChanges(all, 'after');
    expect(writes.length).toBe(2_000);
    expect(new Set(writes.map(componentOf)).size).toBe(2_000);
    expect(widest(all)).toBeLessThanOrEqual(MAX_CLOCK_COMPONENTS + 2);
    const folds = foldsOf(all);
    expect(folds.size).toBeGreaterThan(100);
    for (const i of [1, 33, 500, 1_000, 1_999]) expect(happensBefore(writes[i - 1]!, writes[i]!, folds)).toBe(true);
    expect(happensBefore(writes[0]!, writes[1_999]!, folds)).toBe(true);
    expect(happensBefore(writes[1_000]!, writes[999]!, folds)).toBe(false);
    // What a run did after scheduling the next is not ordered before the next run.
    for (const i of [0, 40, 1_500]) expect(concurrent(after[i]!, writes[i + 1]!, folds)).toBe(true);
  });

  it('keeps a loop of 1,000 awaited calls to a few components: the next call continues the joined one', async () => {
    await raceway.startTrace('loop', async () => {
      for (let i = 0; i < 1_000; i++) {
        await call('step', async () => {
          rw.write('total', i, i + 1, 'loop.ts:4:7');
          await Promise.resolve();
        });
      }
      rw.read('total', 1_000, 'loop.ts:7:3');
    });
    const all = events();
    const changes = stateChanges(all, 'total');
    expect(widest(all)).toBeLessThanOrEqual(5);
    for (let i = 1; i < changes.length; i++) expect(happensBefore(changes[i - 1]!, changes[i]!)).toBe(true);
  });

  it('folds the joiner of 500 concurrent calls: what follows the join is after every call, and the calls stay concurrent', async () => {
    await raceway.startTrace('batch', async () => {
      await Promise.all(
        Array.from({ length: 500 }, (_, i) =>
          call('fill', async () => {
            rw.write(`slot.${i % 7}`, null, i, 'fill.ts:2:5');
            await sleep(1);
            rw.read(`slot.${i % 7}`, i, 'fill.ts:4:5');
          }),
        ),
      );
      rw.write('done', false, true, 'batch.ts:9:3');
    });
    const all = events();
    expect(widest(all)).toBeLessThanOrEqual(MAX_CLOCK_COMPONENTS + 2);
    const folds = foldsOf(all);
    const done = stateChanges(all, 'done')[0]!;
    const fills = all.filter((e) => e.kind.StateChange?.variable.startsWith('slot.'));
    expect(fills).toHaveLength(1_000);
    for (const e of fills) expect(happensBefore(e, done, folds)).toBe(true);
    const [first, second] = [fills[0]!, fills[1]!];
    expect(concurrent(first, second, folds)).toBe(true);
  });

  it('does not order a scheduler after its timer when the scheduler records again later', async () => {
    await raceway.startTrace('job', async () => {
      rw.write('x', 0, 1, 'job.ts:1:1');
      setImmediate(() => rw.write('x', 1, 2, 'job.ts:2:20'));
      await sleep(5);
      rw.write('x', 2, 3, 'job.ts:4:3');
    });
    const [before, inTimer, after] = stateChanges(events(), 'x');
    expect(componentOf(inTimer!)).toBe(componentOf(before!)); // the timer continued the scheduler's component
    expect(componentOf(after!)).not.toBe(componentOf(before!)); // and the scheduler took a new one
    expect(happensBefore(before!, inTimer!)).toBe(true);
    expect(concurrent(inTimer!, after!)).toBe(true);
    expect(happensBefore(before!, after!)).toBe(true);
  });

  it('keeps overlapping runs of an async interval unordered', async () => {
    await new Promise<void>((resolve) => {
      let runs = 0;
      const timer = setInterval(async () => {
        const run = ++runs;
        if (run === 3) clearInterval(timer);
        rw.read('cache', run, 'job.ts:3:15');
        await sleep(50);
        rw.write('cache', run, run + 1, 'job.ts:5:5');
        if (run === 3) resolve();
      }, 1);
    });
    const changes = stateChanges(events(), 'cache');
    const of = (type: string, run: number) =>
      changes.find((e) => e.kind.StateChange.access_type === type && e.kind.StateChange.old_value === run)!;
    expect(happensBefore(of('Read', 1), of('Read', 2))).toBe(true); // run 2 started after run 1's callback returned
    expect(concurrent(of('Write', 1), of('Read', 2))).toBe(true); // but run 1's continuation is not ordered with run 2
    expect(concurrent(of('Write', 1), of('Read', 3))).toBe(true);
    expect(concurrent(of('Write', 2), of('Write', 3))).toBe(true);
  });
});
