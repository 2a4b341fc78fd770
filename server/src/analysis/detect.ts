import type { Access } from './access.js';
import { concurrent, conflicts, happensBefore, sharesLock } from './access.js';
import type { Occurrence } from './race.js';
import { classify } from './race.js';

// Caps that keep every pass linear in the number of accesses whatever the input (each is a bound on the
// work done for one gap or one unit, not on what a real program needs: real gaps hold a few accesses).
/** Accesses examined inside one gap of a unit (single-variable pass). */
const GAP_SCAN = 256;
/** Other units considered inside one gap. */
const INTERLEAVERS_PER_GAP = 4;
/** Accesses examined in one unit's window (multi-variable pass). */
const WINDOW_SCAN = 4096;
/** Code locations tried per gap in the prediction pass, and candidate interleavers tried per location. */
const PREDICTION_LOCATIONS = 64;
const PREDICTION_PER_LOCATION = 32;

interface Footprint {
  read: boolean;
  write: boolean;
  last: Access;
}

function touch(map: Map<string, Footprint>, a: Access): void {
  const f = map.get(a.key);
  if (f) {
    f.read ||= !a.write;
    f.write ||= a.write;
    f.last = a;
  } else {
    map.set(a.key, { read: !a.write, write: a.write, last: a });
  }
}

/** The access of `footprint` that `x` conflicts with, if any. */
function conflicting(footprints: Map<string, Footprint>, x: Access): Access | undefined {
  const f = footprints.get(x.key);
  if (!f) return undefined;
  return f.write || x.write ? f.last : undefined;
}

/** Items in lists by a key, each list in the items' order. */
function groupBy<T>(items: Iterable<T>, key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    let list = out.get(k);
    if (!list) out.set(k, (list = []));
    list.push(item);
  }
  return out;
}

const unitKey = (a: Access) => a.unitKey;

/** Accesses per unit, in the real order. */
export const groupByUnit = (accesses: Access[]): Map<string, Access[]> => groupBy(accesses, unitKey);

/** Accesses per variable key, in the real order. */
export const byVariable = (accesses: Access[]): Map<string, Access[]> => groupBy(accesses, (a) => a.key);

/**
 * Observed single-variable violations: between two consecutive accesses a1, a2 of unit A to one variable,
 * in different segments, another unit B accessed it, conflicting with a1 (b1) and with a2 (b2), and
 * happens-before did not force that order. These are the lost updates, stale reads, non-repeatable and
 * inconsistent reads and double initialisations, reported at their own lines. Applies to threads too.
 */
export function singleVariableViolations(list: Access[]): Occurrence[] {
  const out: Occurrence[] = [];
  {
    const positions = new Map<string, number[]>();
    const writes: number[] = [];
    list.forEach((a, i) => {
      let p = positions.get(a.unitKey);
      if (!p) positions.set(a.unitKey, (p = []));
      p.push(i);
      if (a.write) writes.push(i);
    });
    for (const p of positions.values()) {
      for (let k = 0; k + 1 < p.length; k++) {
        const lo = p[k]!;
        const hi = p[k + 1]!;
        if (hi - lo < 2) continue; // nothing in between
        const a1 = list[lo]!;
        const a2 = list[hi]!;
        if (a1.segment === a2.segment) continue; // one segment runs atomically
        // b1 conflicts with a1: after a read only writes do, so only writes are visited then.
        const visit = a1.write ? undefined : writes;
        let from = visit ? firstAfter(visit, lo) : lo + 1;
        const seen = new Set<string>();
        for (let scanned = 0; scanned < GAP_SCAN && seen.size < INTERLEAVERS_PER_GAP; scanned++, from++) {
          const i = visit ? visit[from] : from;
          if (i === undefined || i >= hi) break;
          const b1 = list[i]!;
          if (seen.has(b1.unitKey)) continue;
          seen.add(b1.unitKey);
          const b2 = lastConflicting(list, positions.get(b1.unitKey)!, i, hi, a2);
          if (!b2 || !(concurrent(a1, b1) || concurrent(b2, a2))) continue;
          out.push({
            kind: classify(a1, b1, b2, a2),
            observed: true,
            accesses: b1 === b2 ? [a1, b1, a2] : [a1, b1, b2, a2],
            roles: b1 === b2 ? ['A', 'B', 'A'] : ['A', 'B', 'B', 'A'],
            orderFromTimestamps: new Set([a1.process, b1.process, b2.process, a2.process]).size > 1,
          });
        }
      }
    }
  }
  return out;
}

/** The index in sorted `positions` of the first position after `at`. */
function firstAfter(positions: number[], at: number): number {
  let lo = 0;
  let hi = positions.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (positions[mid]! <= at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** B's last access in [from, before) that conflicts with `a2` (B's positions are sorted), looking back a few. */
function lastConflicting(list: Access[], own: number[], from: number, before: number, a2: Access): Access | undefined {
  let k = firstAfter(own, before - 1) - 1;
  for (let steps = 0; k >= 0 && own[k]! >= from && steps < INTERLEAVERS_PER_GAP; k--, steps++) {
    const b = list[own[k]!]!;
    if (conflicts(b, a2)) return b;
  }
  return undefined;
}

/**
 * Observed multi-variable atomicity violations: in the real order, accesses of unit B land in a gap of
 * unit A between two of its accesses to different variables they conflict with (a1 < b1 ≤ b2 < a2), and
 * happens-before does not force it. `units` come from `multiVariableUnits` (for threads, delimited function
 * calls); `combine` keeps the findings only where no single-variable violation explains what the two units
 * did. Sweeps each multi-segment unit's window once (at most WINDOW_SCAN accesses of it).
 */
export function multiVariableViolations(units: Iterable<Access[]>, accesses: Access[]): Occurrence[] {
  const out: Occurrence[] = [];
  for (const own of units) {
    if (own.length < 2 || new Set(own.map((a) => a.key)).size < 2 || new Set(own.map((a) => a.segment)).size < 2)
      continue;
    const mine = new Set(own);
    const self = unitKey(own[0]!);
    const first = own[0]!.index;
    const last = Math.min(own[own.length - 1]!.index, first + WINDOW_SCAN);
    const prior = new Map<string, Footprint>();
    const candidates = new Map<string, { a1: Access; b1: Access; seen: Map<string, Footprint> }>();
    const reported = new Set<string>();
    for (let i = first; i <= last; i++) {
      const x = accesses[i]!;
      const key = unitKey(x);
      if (mine.has(x)) {
        for (const [other, c] of candidates) {
          const b2 = conflicting(c.seen, x);
          if (!b2) continue;
          const keys = new Set([c.a1.key, c.b1.key, b2.key, x.key]);
          if (keys.size > 1 && (concurrent(c.a1, c.b1) || concurrent(b2, x))) {
            out.push({
              kind: classify(c.a1, c.b1, b2, x),
              observed: true,
              accesses: b2 === c.b1 ? [c.a1, c.b1, x] : [c.a1, c.b1, b2, x],
              roles: b2 === c.b1 ? ['A', 'B', 'A'] : ['A', 'B', 'B', 'A'],
              orderFromTimestamps: new Set([c.a1.process, c.b1.process, b2.process, x.process]).size > 1,
            });
            reported.add(other);
          }
          candidates.delete(other);
        }
        touch(prior, x);
        continue;
      }
      if (key === self || reported.has(key)) continue; // the same thread outside the call: program order
      const c = candidates.get(key);
      if (c) {
        touch(c.seen, x);
        continue;
      }
      const a1 = conflicting(prior, x);
      if (a1) {
        const seen = new Map<string, Footprint>();
        touch(seen, x);
        candidates.set(key, { a1, b1: x, seen });
      }
    }
  }
  return out;
}

/**
 * Predicted atomicity violations: no cycle happened, but an access b of another unit could run in
 * the gap between two segments of unit A (a1, a2 on the same variable) — b is concurrent with both,
 * conflicts with both, and no lock held across the gap is held by b too.
 */
export function predictedViolations(list: Access[], observedPairs: RacingPairs): Occurrence[] {
  const out: Occurrence[] = [];
  {
    const units = groupByUnit(list);
    // Interleaver candidates by code location and access kind, so each is tried a bounded number of times
    // and a gap that only a write can conflict with never looks through reads.
    const writes = new Map<string, Access[]>();
    const reads = new Map<string, Access[]>();
    for (const b of list) {
      const byLocation = b.write ? writes : reads;
      let l = byLocation.get(b.location);
      if (!l) byLocation.set(b.location, (l = []));
      l.push(b);
    }
    const found = new Set<string>();
    for (const own of units.values()) {
      for (let k = 0; k + 1 < own.length; k++) {
        const a1 = own[k]!;
        const a2 = own[k + 1]!;
        if (a1.segment === a2.segment) continue;
        const heldAcross = a1.locks.filter((l) => a2.locks.includes(l));
        let locations = 0;
        search: for (const byLocation of a1.write && a2.write ? [writes, reads] : [writes])
          for (const [location, group] of byLocation) {
            if (locations++ >= PREDICTION_LOCATIONS) break search;
            const shapeKey = `${a1.location}|${a2.location}|${location}|${unitKey(a1)}`;
            if (found.has(shapeKey)) continue;
            let tried = 0;
            for (const b of group) {
              if (tried++ >= PREDICTION_PER_LOCATION) break;
              if (unitKey(b) === unitKey(a1)) continue;
              if (!(conflicts(b, a1) && conflicts(b, a2))) continue;
              if (b.index > a1.index && b.index < a2.index) continue; // it did land there: observed pass
              if (observedPairs.has(unitKey(a1), unitKey(b))) continue;
              if (sharesLock(heldAcross, b.locks)) continue;
              if (!concurrent(a1, b) || !concurrent(b, a2)) continue;
              found.add(shapeKey);
              out.push({
                kind: classify(a1, b, b, a2),
                observed: false,
                accesses: [a1, b, a2],
                roles: ['A', 'B', 'A'],
                orderFromTimestamps: false,
              });
              break search; // one example per gap: the report counts shapes, not every pair of units
            }
          }
      }
    }
  }
  return out;
}

/**
 * Unordered initialisation: a read saw a variable not yet initialised (null/undefined) before the first
 * write that gives it a value, and that write is not ordered before the read by happens-before.
 */
export function unorderedInitializations(list: Access[]): Occurrence[] {
  const out: Occurrence[] = [];
  const emptyReads: Access[] = [];
  for (const a of list) {
    if (!a.write) {
      if (a.value === null || a.value === undefined) emptyReads.push(a);
      continue;
    }
    if (a.value === null || a.value === undefined) continue;
    for (const r of emptyReads) {
      if (unitKey(r) === unitKey(a) || happensBefore(r, a)) continue;
      out.push({
        kind: 'unordered-initialization',
        observed: true,
        accesses: [r, a],
        roles: ['A', 'B'],
        orderFromTimestamps: r.process !== a.process,
      });
    }
    break; // the first write with a value initialises it
  }
  return out;
}

/** Unit pairs that occurrences show racing, either way round. */
export class RacingPairs {
  private readonly pairs = new Map<string, Set<string>>();

  constructor(occurrences: Iterable<Occurrence> = []) {
    for (const o of occurrences) this.add(o);
  }

  add(o: Occurrence): void {
    const a = o.accesses[0]!.unitKey;
    const b = o.accesses[1]!.unitKey;
    const [low, high] = a < b ? [a, b] : [b, a];
    let set = this.pairs.get(low);
    if (!set) this.pairs.set(low, (set = new Set()));
    set.add(high);
  }

  has(a: string, b: string): boolean {
    const [low, high] = a < b ? [a, b] : [b, a];
    return this.pairs.get(low)?.has(high) ?? false;
  }

  /** Whether the two units of `o` (its first two accesses) race here. */
  covers(o: Occurrence): boolean {
    return this.has(o.accesses[0]!.unitKey, o.accesses[1]!.unitKey);
  }
}

/**
 * The report's occurrences from each pass, simplest explanation first: every single-variable violation;
 * a multi-variable one only for two units no single-variable violation involves; a prediction only for
 * units not observed racing; an unordered initialisation only when its read and write are not already
 * part of an observed violation.
 */
export function combine(parts: {
  single: Occurrence[];
  multi: Occurrence[];
  predicted: Occurrence[];
  unordered: Occurrence[];
}): Occurrence[] {
  const out = [...parts.single];
  // The pairs are only needed when something is filtered by them.
  const pairs = parts.multi.length || parts.predicted.length ? new RacingPairs(parts.single) : undefined;
  for (const o of parts.multi) if (!pairs!.covers(o)) out.push(o);
  for (const o of parts.multi) if (!pairs!.covers(o)) pairs!.add(o);
  for (const o of parts.predicted) if (!pairs!.covers(o)) out.push(o);
  if (parts.unordered.length) {
    const explained = new Set<string>();
    for (const o of out) if (o.observed) for (const a of o.accesses) explained.add(a.eventId);
    for (const o of parts.unordered)
      if (!(explained.has(o.accesses[0]!.eventId) && explained.has(o.accesses[1]!.eventId))) out.push(o);
  }
  return out;
}
