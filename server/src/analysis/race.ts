import type { Access } from './access.js';

export type Severity = 'critical' | 'warning' | 'info';

export type RaceKind =
  | 'lost-update'
  | 'stale-read'
  | 'inconsistent-read'
  | 'non-repeatable-read'
  | 'double-initialization'
  | 'atomicity-violation'
  | 'unordered-initialization';

/** One concrete occurrence: the accesses of the interleaving, in the order they ran (or could run). */
export interface Occurrence {
  kind: RaceKind;
  observed: boolean;
  /** The interrupted unit's accesses and the interleaved unit's, in order. */
  accesses: Access[];
  /** Which of `accesses` belong to the interrupted unit (A). */
  roles: Array<'A' | 'B'>;
  /** True when the order across processes came from timestamps. */
  orderFromTimestamps: boolean;
  /**
   * Predicted only: in the run, one unit's access came right after the other's gap, as if it waited for
   * it (a lock the detector does not see: a promise chain, a mutex library).
   */
  handoff?: boolean;
}

/** A line of the report: occurrences grouped by kind and code locations. */
export interface Race {
  id: string;
  severity: Severity;
  kind: RaceKind;
  variable: string;
  observed: boolean;
  occurrences: number;
  /** Further occurrences of the same shape that did not happen but could (for an observed race). */
  possibleOccurrences: number;
  /** The example's accesses (the first occurrence), in order. */
  accesses: Access[];
  roles: Array<'A' | 'B'>;
  orderFromTimestamps: boolean;
  /** Up to ten example traces. */
  traces: string[];
  /** Every trace with an occurrence (for "has a race" queries; not part of the report). */
  traceSet: ReadonlySet<string>;
  services: string[];
  /** Every code location of the occurrences behind this line (up to 20), beyond the example's. */
  locations: string[];
  /** Why the detector may be wrong, or what to do (e.g. a lock it cannot see). */
  hint?: string;
}

/** Names the classic shapes of a three- or four-access interleaving. */
export function classify(a1: Access, b1: Access, b2: Access, a2: Access): RaceKind {
  if (a1.key !== a2.key || b1.key !== b2.key)
    return a1.write && a2.write && !b1.write ? 'inconsistent-read' : 'atomicity-violation';
  if (!a1.write && a2.write && b1.write)
    return a1.value === undefined || a1.value === null ? 'double-initialization' : 'lost-update';
  if (a1.write && !a2.write && (b1.write || b2.write)) return 'stale-read';
  if (a1.write && a2.write && !b1.write) return 'inconsistent-read';
  if (!a1.write && !a2.write) return 'non-repeatable-read';
  return 'atomicity-violation';
}
