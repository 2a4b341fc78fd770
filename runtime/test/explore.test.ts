import { afterEach, describe, expect, it } from 'vitest';
import { RacewayClient, replaceDefaultClient } from '../src/index.js';
import { explorer, loadSchedule } from '../src/explore/active.js';
import { parseSchedule } from '../src/explore/schedule.js';
import * as rw from '../src/instrument/index.js';
import { stateChanges } from './helpers/causality.js';

const raceway = RacewayClient.inMemory({ serviceName: 'explore-test' });
replaceDefaultClient(raceway);

let balance = 100;
const later = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** read · await · write, as instrumented code does it: `resume(await gate(x))`. */
async function withdraw(amount: number, pause: number): Promise<void> {
  const b = rw.read('balance', balance, 'bank.ts:10:13');
  rw.resume(await rw.gate(later(pause)));
  balance = rw.write('balance', b, b - amount, 'bank.ts:12:3');
}
const call = (amount: number, pause: number) =>
  rw.callAsync('withdraw', 'bank', 'bank.ts:9:1', [], () => withdraw(amount, pause));

/** The first request finishes before the second starts: a race the run can only predict. */
async function sequentialArrivals(): Promise<string[]> {
  raceway.clearMemoryEvents();
  balance = 100;
  await raceway.startTrace('load', async () => {
    const first = call(10, 1);
    await later(30);
    await Promise.all([first, call(20, 1)]);
  });
  return stateChanges(raceway.memoryEvents(), 'balance').map(
    (e) => `${(e.kind as { StateChange: { access_type: string } }).StateChange.access_type} ${e.metadata.thread_id}`,
  );
}

const units = (order: string[]) => {
  const names = [...new Set(order.map((o) => o.split(' ')[1]))];
  return order.map((o) => `${o.split(' ')[0]} ${names.indexOf(o.split(' ')[1]) ? 'B' : 'A'}`);
};

afterEach(() => loadSchedule(''));

describe('exploration schedules', () => {
  it('are validated, and a bad one is said once and steers nothing', () => {
    expect(parseSchedule('{')).toMatch(/not JSON/);
    expect(parseSchedule('{"holds":[]}')).toMatch(/at least one hold/);
    expect(parseSchedule('{"holds":[{"after":"a.ts","until":"a.ts:1:1","occurrence":1,"maxMs":5}]}')).toMatch(
      /locations/,
    );
    expect(parseSchedule('{"holds":[{"after":"a.ts:1:1","until":"a.ts:1:1","occurrence":0,"maxMs":5}]}')).toMatch(
      /occurrence/,
    );
    expect(parseSchedule('{"holds":[{"after":"a.ts:1:1","until":"a.ts:1:1","occurrence":1,"maxMs":60000}]}')).toMatch(
      /maxMs/,
    );
    loadSchedule('{"holds":"nope"}');
    expect(explorer).toBeUndefined();
  });

  it('change nothing when there is none: gate gives back the very value, the run keeps its order', async () => {
    const promise = Promise.resolve(1);
    expect(rw.gate(promise)).toBe(promise);
    expect(raceway.gate(promise)).toBe(promise); // the manual API's point
    const value = { a: 1 };
    expect(rw.gate(value)).toBe(value);
    expect(units(await sequentialArrivals())).toEqual(['Read A', 'Write A', 'Read B', 'Write B']);
  });

  it('hold the chosen unit at its next await until another unit reaches the chosen access', async () => {
    loadSchedule(
      JSON.stringify({ holds: [{ after: 'bank.ts:10:13', occurrence: 1, until: 'bank.ts:10:13', maxMs: 2000 }] }),
    );
    const started = performance.now();
    expect(units(await sequentialArrivals())).toEqual(['Read A', 'Read B', 'Write A', 'Write B']);
    expect(balance).toBe(80); // the lost update happened: 100 - 20, not 70
    expect(explorer!.outcomes).toEqual([
      { hold: expect.objectContaining({ after: 'bank.ts:10:13' }), released: 'until', waitedMs: expect.any(Number) },
    ]);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('release a hold when its time runs out, and hold only the chosen occurrence', async () => {
    loadSchedule(
      JSON.stringify({ holds: [{ after: 'bank.ts:10:13', occurrence: 2, until: 'nowhere.ts:1:1', maxMs: 20 }] }),
    );
    expect(units(await sequentialArrivals())).toEqual(['Read A', 'Write A', 'Read B', 'Write B']);
    expect(explorer!.outcomes.map((o) => o.released)).toEqual(['timeout']);
    expect(explorer!.outcomes[0]!.waitedMs).toBeGreaterThanOrEqual(15);
  });

  it('hold manually tracked units through client.gate', async () => {
    loadSchedule(JSON.stringify({ holds: [{ after: 'm.ts:1:1', occurrence: 1, until: 'm.ts:1:1', maxMs: 2000 }] }));
    const order: string[] = [];
    const unit = (name: string) =>
      raceway.trackFunction(name, [], async () => {
        raceway.trackStateChange('x', 1, 1, 'Read', 'm.ts:1:1');
        order.push(`${name} read`);
        await raceway.gate(later(1));
        order.push(`${name} resumed`);
      });
    await raceway.startTrace('job', async () => {
      const a = unit('a');
      await later(20);
      await Promise.all([a, unit('b')]);
    });
    expect(order).toEqual(['a read', 'b read', 'a resumed', 'b resumed']);
    expect(explorer!.outcomes.map((o) => o.released)).toEqual(['until']);
  });

  it('settle a held rejection as a rejection, after the hold', async () => {
    loadSchedule(JSON.stringify({ holds: [{ after: 'x.ts:1:1', occurrence: 1, until: 'y.ts:1:1', maxMs: 10 }] }));
    const outcome = await raceway.startTrace('job', () =>
      rw.callAsync('f', 'm', 'x.ts:1:1', [], async () => {
        rw.read('x', 1, 'x.ts:1:1');
        try {
          await rw.gate(Promise.reject(new Error('boom')));
          return 'resolved';
        } catch (error) {
          return (error as Error).message;
        }
      }),
    );
    expect(outcome).toBe('boom');
    expect(explorer!.outcomes.map((o) => o.released)).toEqual(['timeout']);
  });
});
