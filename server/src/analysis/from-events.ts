import type { WireEvent } from '@raceway/protocol';
import { append } from './append.js';
import type { Access } from './access.js';
import { variableKey } from './access.js';
import { summariseValue } from './value-summary.js';
import { CLOCK_FOLD_EVENT, DROPPED_EVENT } from '../store/event-row.js';
import { ClockFolds } from './clock-folds.js';

/** What an SDK did not send, by process: traces dropped whole, traces cut short (left out of the analysis). */
export interface NotAnalysed {
  service: string;
  process: string;
  droppedTraces: number;
  truncatedTraces: number;
}

/** The SDK's drop report in an event, if it is one: counts are cumulative per process. */
export function dropReport(e: WireEvent): { report: NotAnalysed; truncatedIds: string[] } | undefined {
  const custom = e.kind.Custom as { name?: unknown; data?: Record<string, unknown> } | undefined;
  if (custom?.name !== DROPPED_EVENT || !custom.data) return undefined;
  const data = custom.data;
  const count = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0);
  const ids = Array.isArray(data.truncated_traces)
    ? data.truncated_traces.filter((t): t is string => typeof t === 'string').map((t) => t.toLowerCase())
    : [];
  return {
    report: {
      service: serviceOf(e),
      process: processOf(e),
      droppedTraces: count(data.dropped_traces),
      truncatedTraces: Math.max(count(data.truncated_count), ids.length),
    },
    truncatedIds: ids,
  };
}

/** The wire event, as the protocol defines it (docs/wire-protocol.md). */
export type { WireEvent };

/** The event kinds the analysis reads. */
export const ANALYSED_KINDS = [
  'StateChange',
  'LockAcquire',
  'LockRelease',
  'FunctionCall',
  'FunctionReturn',
  DROPPED_EVENT,
  CLOCK_FOLD_EVENT,
];

const WRITES = new Set(['Write', 'AtomicWrite', 'AtomicRMW']);
const EMPTY: readonly string[] = [];

/** Milliseconds since the epoch, keeping the microseconds and nanoseconds that Date.parse drops. */
function preciseTime(timestamp: string): number {
  const ms = Date.parse(timestamp);
  const fraction = /\.(\d{4,9})/.exec(timestamp);
  return fraction ? ms + Number(`0.${fraction[1]!.slice(3)}`) : ms;
}

const serviceOf = (e: WireEvent) => e.metadata.service_name ?? 'unknown';
const processOf = (e: WireEvent) =>
  e.raceway?.process ?? `${serviceOf(e)}#${e.metadata.instance_id ?? e.metadata.process_id ?? '?'}`;

function access(
  e: WireEvent,
  change: Record<string, unknown>,
  fields: Pick<
    Access,
    | 'process'
    | 'seq'
    | 'task'
    | 'unit'
    | 'segment'
    | 'time'
    | 'clock'
    | 'component'
    | 'epoch'
    | 'locks'
    | 'thread'
    | 'folds'
  >,
): Access {
  const variable = String(change.variable);
  return {
    index: 0,
    eventId: e.id,
    traceId: e.trace_id,
    service: serviceOf(e),
    unitKey: `${fields.process}|${fields.unit}`,
    variable,
    key: variableKey(fields.process, variable),
    write: WRITES.has(String(change.access_type)),
    value: summariseValue(change.new_value),
    oldValue: summariseValue(change.old_value),
    location: String(change.location ?? ''),
    ...fields,
  };
}

/** The access recorded by one of our SDK's events (with its `raceway` block), or undefined. */
export function ourAccess(e: WireEvent, arrival: number, folds?: ClockFolds): Access | undefined {
  const r = e.raceway;
  const change = e.kind.StateChange;
  if (!r || !change) return undefined;
  const process = processOf(e);
  const task = r.task ?? e.metadata.thread_id;
  const component = typeof r.component === 'string' ? r.component : task;
  const clock = new Map(e.causality_vector);
  return access(e, change, {
    process,
    seq: r.seq ?? arrival,
    task,
    unit: r.unit ?? task,
    segment: r.segment !== undefined ? `${process}:${r.segment}` : `event:${e.id}`,
    time: r.time_us !== undefined ? r.time_us / 1000 : preciseTime(e.timestamp),
    clock,
    component,
    epoch: clock.get(component) ?? 0,
    locks: e.lock_set ?? EMPTY,
    thread: false,
    folds,
  });
}

/** Whether an event of another SDK matters to the analysis (an access or a lock). */
export const isThreadEvent = (e: WireEvent) =>
  !e.raceway &&
  Boolean(
    e.kind.StateChange || e.kind.LockAcquire || e.kind.LockRelease || e.kind.FunctionCall || e.kind.FunctionReturn,
  );

/** The process (service + instance) an event ran in. */
export { processOf };

/**
 * Events → accesses. Our SDK's events carry their task, unit, segment and vector clock (`raceway`
 * block). Events of other Raceway SDKs come from preemptive threads: see `ThreadReplay`.
 */
export function accessesFrom(events: Iterable<WireEvent>): Access[] {
  const out: Access[] = [];
  const threads = new Map<string, ThreadEvent[]>();
  const folds = new ClockFolds();
  let arrival = 0;
  for (const e of events) {
    arrival++;
    if (folds.learn(e.kind)) continue;
    if (isThreadEvent(e)) {
      const process = processOf(e);
      let list = threads.get(process);
      if (!list) threads.set(process, (list = []));
      list.push({ event: e, arrival, time: preciseTime(e.timestamp) });
      continue;
    }
    const a = ourAccess(e, arrival, folds);
    if (a) out.push(a);
  }
  for (const list of threads.values()) append(out, new ThreadReplay().add(list));
  return out;
}

/** An event of another SDK with its arrival number and precise time. */
export interface ThreadEvent {
  event: WireEvent;
  arrival: number;
  time: number;
}

export function threadEvent(event: WireEvent, arrival: number): ThreadEvent {
  return { event, arrival, time: preciseTime(event.timestamp) };
}

export const threadOrder = (a: ThreadEvent, b: ThreadEvent) => a.time - b.time || a.arrival - b.arrival;

interface ThreadState {
  /** Latest epochs of other threads this one synchronised with (replaced, never mutated: accesses share it). */
  view: Map<string, number>;
  epoch: number;
  /** Held locks, innermost last; a lock acquired twice appears twice (reentrancy). */
  held: string[];
  /** Open function calls, outermost first. */
  calls: Array<{ id: string; closed: boolean }>;
  callsMade: number;
}

/**
 * Replays the threads of one process (Python, Go, Rust, the older TS SDK) in order. A thread is a task
 * identified by (trace, thread id): Rust names OS threads, which serve unrelated traces. Each event is its
 * own segment, and the thread is its own unit. Their `lock_set` is always empty and their clocks are not
 * comparable between threads, so both are derived here from `LockAcquire`/`LockRelease` in each thread's
 * order (by timestamp, then arrival): held locks are those acquired and not yet released (a release
 * without an acquire releases nothing; a lock never released stays held), and a release happens before
 * the next acquire of the same lock. Events are added in order; `lastTime` says where the replay is.
 */
export class ThreadReplay {
  private readonly threads = new Map<string, ThreadState>();
  private readonly released = new Map<string, Map<string, number>>(); // lock → clock at its last release
  lastTime = -Infinity;

  /** Replays `items` (sorted here) after what was replayed before; the accesses among them. */
  add(items: ThreadEvent[]): Access[] {
    const out: Access[] = [];
    for (const { event: e, arrival, time } of [...items].sort(threadOrder)) {
      this.lastTime = Math.max(this.lastTime, time);
      const process = processOf(e);
      const task = `${e.trace_id}/${e.metadata.thread_id}`;
      let state = this.threads.get(task);
      if (!state) this.threads.set(task, (state = { view: new Map(), epoch: 0, held: [], calls: [], callsMade: 0 }));
      state.epoch++;
      if (e.kind.FunctionCall) {
        state.calls.push({ id: `${task}#call${++state.callsMade}`, closed: false });
        continue;
      }
      if (e.kind.FunctionReturn) {
        const call = state.calls.pop();
        if (call) call.closed = true; // a return without a call closes nothing
        continue;
      }
      const acquire = e.kind.LockAcquire;
      const release = e.kind.LockRelease;
      if (acquire) {
        const lock = String(acquire.lock_id);
        const last = this.released.get(lock);
        if (last) {
          const view = new Map(state.view);
          for (const [t, n] of last) if (t !== task && (view.get(t) ?? 0) < n) view.set(t, n);
          state.view = view;
        }
        state.held = [...state.held, lock];
        continue;
      }
      if (release) {
        const lock = String(release.lock_id);
        const at = state.held.lastIndexOf(lock);
        if (at >= 0) state.held = [...state.held.slice(0, at), ...state.held.slice(at + 1)];
        this.released.set(lock, new Map(state.view).set(task, state.epoch));
        continue;
      }
      const change = e.kind.StateChange!;
      const sent = e.lock_set ?? EMPTY;
      const locks = sent.length === 0 ? state.held : [...new Set([...state.held, ...sent])];
      const a = access(e, change, {
        process,
        seq: arrival,
        task,
        unit: task,
        segment: `event:${e.id}`,
        time,
        clock: state.view,
        component: task,
        epoch: state.epoch,
        locks,
        thread: true,
      });
      if (state.calls.length) a.call = state.calls[0];
      out.push(a);
    }
    return out;
  }
}
