/** One read or write of a tracked variable, as the detector sees it. */
export interface Access {
  /** Position in the real order (per process by sequence number, across processes by timestamp). */
  index: number;
  eventId: string;
  traceId: string;
  service: string;
  process: string;
  /** Per-process sequence number (arrival order for SDKs without one). */
  seq: number;
  task: string;
  unit: string;
  /** `process|unit`: the unit, unique across processes (precomputed: it is compared in every pass). */
  unitKey: string;
  /** Unique per synchronous segment (process-qualified). */
  segment: string;
  time: number;
  clock: Map<string, number>;
  variable: string;
  write: boolean;
  value: unknown;
  oldValue: unknown;
  location: string;
  locks: readonly string[];
}

/** e1 happens before e2: program order inside a task, else e2's clock has seen e1's epoch. */
export function happensBefore(e1: Access, e2: Access): boolean {
  if (e1.task === e2.task && e1.process === e2.process) return e1.index < e2.index;
  const epoch = e1.clock.get(e1.task) ?? 0;
  return epoch > 0 && (e2.clock.get(e1.task) ?? 0) >= epoch;
}

export function concurrent(e1: Access, e2: Access): boolean {
  return !happensBefore(e1, e2) && !happensBefore(e2, e1);
}

/** Same variable, at least one write. */
export function conflicts(a: Access, b: Access): boolean {
  return a.variable === b.variable && (a.write || b.write);
}

export function sharesLock(a: readonly string[], b: readonly string[]): boolean {
  if (a.length === 0 || b.length === 0) return false;
  return a.some((l) => b.includes(l));
}
