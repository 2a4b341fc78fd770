// Which holds --explore plans for a predicted race.
import { describe, expect, it } from 'vitest';
import { holdsFor } from '../../server/src/explore/plan.js';
import { seededRandom } from '../../server/src/explore/seeded-random.js';
import type { RaceReport } from '@raceway/server';

type Race = RaceReport['races'][number];
const access = (role: 'A' | 'B', location: string, task: string) =>
  ({ role, location, task, access: 'read', traceId: 't', service: 's', variable: 'x', value: 1 }) as const;
const race = (a: string, b: string): Race =>
  ({
    id: 'r',
    severity: 'warning',
    kind: 'lost-update',
    variable: 'x',
    observed: false,
    occurrences: 1,
    possibleOccurrences: 0,
    accesses: [access('A', a, 'p.2'), access('B', b, 'p.7'), { ...access('A', a, 'p.2'), access: 'write' }],
    orderFromTimestamps: false,
    traces: [],
    services: [],
    locations: [a, b],
  }) as Race;
const index = {
  occurrenceOf: (_location: string, task: string) => (task === 'p.2' ? 3 : undefined),
  countAt: () => 4,
};

describe('the holds planned for a predicted race', () => {
  it('first hold A at the occurrence its access had in the first run, then the others, then longer', () => {
    const holds = holdsFor(race('src/a.ts:1:5', 'src/a.ts:3:1'), seededRandom(1), index);
    expect(holds[0]).toEqual({ after: 'src/a.ts:1:5', occurrence: 3, until: 'src/a.ts:3:1', maxMs: 250 });
    expect(new Set(holds.slice(0, 4).map((h) => h.occurrence))).toEqual(new Set([1, 2, 3, 4]));
    expect([...new Set(holds.map((h) => h.maxMs))]).toEqual([250, 1000, 3000]);
    expect(holdsFor(race('src/a.ts:1:5', 'src/a.ts:3:1'), seededRandom(1), index)).toEqual(holds);
  });

  it('plan nothing for accesses another SDK reported, which this runtime cannot hold', () => {
    expect(holdsFor(race('app/bank.py:12', 'app/bank.py:14'), seededRandom(1), index)).toEqual([]);
  });
});
