import type { Access } from './access.js';
import { concurrent, conflicts, happensBefore, sharesLock } from './access.js';
import type { Occurrence } from './race.js';
import { classify } from './race.js';

/** Cap on candidate interleavers tried per spanning pair in the prediction pass (keeps it linear). */
const PREDICTION_CANDIDATES = 64;

interface Footprint {
  read: boolean;
  write: boolean;
  last: Access;
}

function touch(map: Map<string, Footprint>, a: Access): void {
  const f = map.get(a.variable);
  if (f) {
    f.read ||= !a.write;
    f.write ||= a.write;
    f.last = a;
  } else {
    map.set(a.variable, { read: !a.write, write: a.write, last: a });
  }
}

/** The access of `footprint` that `x` conflicts with, if any. */
function conflicting(footprints: Map<string, Footprint>, x: Access): Access | undefined {
  const f = footprints.get(x.variable);
  if (!f) return undefined;
  return f.write || x.write ? f.last : undefined;
}

function groupByUnit(accesses: Access[]): Map<string, Access[]> {
  const units = new Map<string, Access[]>();
  for (const a of accesses) {
    let list = units.get(a.unitKey);
    if (!list) units.set(a.unitKey, (list = []));
    list.push(a);
  }
  return units;
}

const unitKey = (a: Access) => a.unitKey;

/**
 * Observed atomicity violations: in the real order, an access of unit B lands in a gap of unit A
 * between two accesses it conflicts with (a1 < b1 ≤ b2 < a2), and the interleaving is not forced by
 * happens-before (fork before, join after). Sweeps each multi-segment unit's window once.
 */
export function observedViolations(accesses: Access[]): Occurrence[] {
  const out: Occurrence[] = [];
  const units = groupByUnit(accesses);
  for (const own of units.values()) {
    if (own.length < 2 || new Set(own.map((a) => a.segment)).size < 2) continue;
    const self = unitKey(own[0]!);
    const first = own[0]!.index;
    const last = own[own.length - 1]!.index;
    const prior = new Map<string, Footprint>();
    const candidates = new Map<string, { a1: Access; b1: Access; seen: Map<string, Footprint> }>();
    const reported = new Set<string>();
    for (let i = first; i <= last; i++) {
      const x = accesses[i]!;
      const key = unitKey(x);
      if (key === self) {
        for (const [other, c] of candidates) {
          const b2 = conflicting(c.seen, x);
          if (!b2) continue;
          if (concurrent(c.a1, c.b1) || concurrent(b2, x)) {
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
      if (reported.has(key)) continue;
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
export function predictedViolations(accesses: Access[], observed: Occurrence[]): Occurrence[] {
  const out: Occurrence[] = [];
  const alreadyObserved = new Set<string>();
  for (const o of observed) {
    const a = o.accesses[0]!;
    const b = o.accesses[1]!;
    alreadyObserved.add(`${unitKey(a)}>${unitKey(b)}`);
    alreadyObserved.add(`${unitKey(b)}>${unitKey(a)}`);
  }
  const byVariable = new Map<string, Access[]>();
  for (const a of accesses) {
    let list = byVariable.get(a.variable);
    if (!list) byVariable.set(a.variable, (list = []));
    list.push(a);
  }
  for (const list of byVariable.values()) {
    const units = groupByUnit(list);
    // Interleaver candidates by code location, so each location is tried a bounded number of times.
    const byLocation = new Map<string, Access[]>();
    for (const b of list) {
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
        for (const [location, group] of byLocation) {
          const shapeKey = `${a1.location}|${a2.location}|${location}|${unitKey(a1)}`;
          if (found.has(shapeKey)) continue;
          let tried = 0;
          for (const b of group) {
            if (tried++ >= PREDICTION_CANDIDATES) break;
            if (unitKey(b) === unitKey(a1)) continue;
            if (!(conflicts(b, a1) && conflicts(b, a2))) continue;
            if (b.index > a1.index && b.index < a2.index) continue; // it did land there: observed pass
            if (alreadyObserved.has(`${unitKey(a1)}>${unitKey(b)}`)) continue;
            if (sharesLock(heldAcross, b.locks)) continue;
            if (!concurrent(a1, b) || !concurrent(b, a2)) continue;
            found.add(shapeKey);
            out.push({ kind: classify(a1, b, b, a2), observed: false, accesses: [a1, b, a2], roles: ['A', 'B', 'A'], orderFromTimestamps: false });
            break;
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
export function unorderedInitializations(accesses: Access[], observed: Occurrence[] = []): Occurrence[] {
  const out: Occurrence[] = [];
  // A read already shown as part of an atomicity violation is not reported a second time.
  const explained = new Set<string>();
  for (const o of observed) for (const a of o.accesses) explained.add(a.eventId);
  const emptyReads = new Map<string, Access[]>();
  const initialized = new Set<string>();
  for (const a of accesses) {
    if (initialized.has(a.variable)) continue;
    if (!a.write) {
      if (a.value === null || a.value === undefined) {
        let l = emptyReads.get(a.variable);
        if (!l) emptyReads.set(a.variable, (l = []));
        l.push(a);
      }
      continue;
    }
    if (a.value === null || a.value === undefined) continue;
    initialized.add(a.variable);
    for (const r of emptyReads.get(a.variable) ?? []) {
      if (unitKey(r) === unitKey(a) || happensBefore(r, a) || (explained.has(r.eventId) && explained.has(a.eventId))) continue;
      out.push({ kind: 'unordered-initialization', observed: true, accesses: [r, a], roles: ['A', 'B'], orderFromTimestamps: r.process !== a.process });
    }
  }
  return out;
}
