import type { ClockFolds } from './clock-folds.js';

/** One read or write of a tracked variable, as the detector sees it. */
export interface Access {
  /** Position in the real order (per process by sequence number, across processes by timestamp). */
  index: number;
  eventId: string;
  traceId: string;
  service: string;
  /** The process (service + instance) whose memory the access touched. */
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
  /** The task's view of others: clock component → the latest epoch of it that happens before this access. */
  clock: ReadonlyMap<string, number>;
  /** The clock component the task advanced: the task itself, or one it took over from a finished task. */
  component: string;
  /** This access's own epoch on its component (0: unknown, orders nothing across tasks). */
  epoch: number;
  /** Clock folds published by the SDK, for clocks that dropped components they had seen. */
  folds?: ClockFolds;
  /** The variable's name as the code named it. */
  variable: string;
  /**
   * What conflicts are decided on: the name within its process (memory is per process), or the name
   * alone for state declared shared (`shared:` prefix), which is compared across processes and services.
   */
  key: string;
  write: boolean;
  /** The value, summarised for analysis and reports (depth and size capped). */
  value: unknown;
  oldValue: unknown;
  location: string;
  /** Locks held by the task at this access. */
  locks: readonly string[];
  /**
   * From a preemptive thread (another Raceway SDK): every event is its own segment and the thread has no
   * awaited unit, so only single-variable patterns are reported for it.
   */
  thread: boolean;
  /**
   * Threads only: the outermost function call the SDK delimited around this access (a `FunctionCall` and
   * its `FunctionReturn`); `closed` once the return was seen. Such a call is a unit for multi-variable
   * patterns.
   */
  call?: { id: string; closed: boolean };
}

/** Names of state that lives outside one process (a database row, a cache key, a file) start with this. */
export const SHARED_PREFIX = 'shared:';

/** The key a variable's accesses are compared on (see `Access.key`). */
export function variableKey(process: string, name: string): string {
  return name.startsWith(SHARED_PREFIX) ? name : `${process}\u0000${name}`;
}

/** e1 happens before e2: program order inside a task, else e2's clock has seen e1's epoch (directly or folded). */
export function happensBefore(e1: Access, e2: Access): boolean {
  if (e1.task === e2.task && e1.process === e2.process) return e1.index < e2.index;
  if (e1.epoch <= 0) return false;
  if ((e2.clock.get(e1.component) ?? 0) >= e1.epoch) return true;
  return e2.folds !== undefined && e2.folds.sees(e2.clock, e1.component, e1.epoch);
}

export function concurrent(e1: Access, e2: Access): boolean {
  return !happensBefore(e1, e2) && !happensBefore(e2, e1);
}

/** Same variable (in the same process, unless shared), at least one write. */
export function conflicts(a: Access, b: Access): boolean {
  return a.key === b.key && (a.write || b.write);
}

export function sharesLock(a: readonly string[], b: readonly string[]): boolean {
  if (a.length === 0 || b.length === 0) return false;
  return a.some((l) => b.includes(l));
}
