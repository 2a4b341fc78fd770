import type { RaceReport } from '../analysis/report.js';
import { checkSchedule } from '@raceway/protocol';
import type { Hold } from './hold.js';
import { shuffled } from './seeded-random.js';

type ReportedRace = RaceReport['races'][number];

/** How long a hold may last, by attempt: short first (most gaps are short), longer when that did not do it. */
const HOLD_MS = [250, 1000, 3000];
/** Occurrences tried per race: the first requests are where a load script usually overlaps. */
const OCCURRENCES = 6;

/** Where the first run made its accesses: per location, which occurrence (in its process) each task's was. */
export interface AccessIndex {
  /** The occurrence (1 = first in its process) of `task`'s first access at `location`. */
  occurrenceOf(location: string, task: string): number | undefined;
  /** How many accesses the busiest process made at `location`. */
  countAt(location: string): number;
}

/**
 * The holds to try for a predicted race, in order: unit A (the one whose gap the other unit's access would
 * land in) is held after its first access, at its next await, until unit B makes its first access. The
 * first attempt arms the hold at the occurrence A's access was in the first run (the same unit, when the
 * command does the same again); later ones try the other occurrences at that location (the seed orders
 * them), then longer holds.
 */
export function holdsFor(race: ReportedRace, random: () => number, index: AccessIndex): Hold[] {
  const a = race.accesses.find((x) => x.role === 'A');
  const b = race.accesses.find((x) => x.role === 'B');
  if (!a || !b) return [];
  const own = index.occurrenceOf(a.location, a.task);
  const count = Math.max(1, Math.min(OCCURRENCES, index.countAt(a.location)));
  const others = shuffled(
    Array.from({ length: count }, (_, i) => i + 1).filter((n) => n !== own),
    random,
  );
  const occurrences = own === undefined ? others : [own, ...others];
  const holds: Hold[] = [];
  for (const maxMs of HOLD_MS)
    for (const occurrence of occurrences) holds.push({ after: a.location, occurrence, until: b.location, maxMs });
  // Accesses another SDK reported (`file.py:12`) are not in code this runtime can hold: no rerun is spent on them.
  return typeof checkSchedule({ holds: holds.slice(0, 1) }) === 'string' ? [] : holds;
}

/** Whether `candidate` (from a steered rerun) is `target` (predicted in the first run) happening. */
export function sameRace(target: ReportedRace, candidate: ReportedRace): boolean {
  if (candidate.id === target.id) return true;
  if (candidate.kind !== target.kind || candidate.variable !== target.variable) return false;
  const where = (r: ReportedRace) => new Set([...r.locations, ...r.accesses.map((x) => x.location)]);
  const theirs = where(candidate);
  return target.accesses.every((x) => theirs.has(x.location));
}
