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
}

/** Names the classic shapes of a three- or four-access interleaving. */
export function classify(a1: Access, b1: Access, b2: Access, a2: Access): RaceKind {
  if (a1.variable !== a2.variable || b1.variable !== b2.variable) return a1.write && a2.write && !b1.write ? 'inconsistent-read' : 'atomicity-violation';
  if (!a1.write && a2.write && b1.write) return a1.value === undefined || a1.value === null ? 'double-initialization' : 'lost-update';
  if (a1.write && !a2.write && (b1.write || b2.write)) return 'stale-read';
  if (a1.write && a2.write && !b1.write) return 'inconsistent-read';
  if (!a1.write && !a2.write) return 'non-repeatable-read';
  return 'atomicity-violation';
}
