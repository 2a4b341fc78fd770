import { VectorClock } from '../clock/vector-clock.js';
import { boundary } from '../clock/segments.js';
import { newSpanId, newTraceId } from '../propagation/ids.js';
import { acquire, join, keepBounded, release, reusableChild, startClock } from './causality.js';
import { processTag } from './process-identity.js';
import { state } from './process-state.js';
import type { Task, TraceInfo, TraceOrigin } from './task.js';

/** The one context store of the process, shared by every client. */
export const storage = state.storage;

function nextTaskId(): string {
  return `${processTag}.${++state.taskCounter}`;
}

function makeTask(
  id: string,
  trace: TraceInfo,
  parent: Task | undefined,
  unit: string,
  traced: boolean,
  start: { component: string; clock: VectorClock },
  forkSeq: number,
): Task {
  return {
    id,
    trace,
    parentId: parent?.id,
    unit,
    traced,
    clock: start.clock,
    component: start.component,
    retired: false,
    releaseSegment: 0,
    eventSegment: 0,
    reusable: undefined,
    lastSeq: 0,
    forkSeq,
    // A traced child runs while its caller awaits it, so it holds what the caller holds.
    locks: traced && parent ? parent.locks : [],
  };
}

export function newTrace(upstream?: Partial<TraceInfo>, origin?: TraceOrigin): TraceInfo {
  return {
    traceId: upstream?.traceId ?? newTraceId(),
    spanId: upstream?.spanId ?? newSpanId(),
    upstreamSpanId: upstream?.upstreamSpanId,
    tracestate: upstream?.tracestate,
    origin,
    admittedBy: undefined,
    admitted: false,
  };
}

/**
 * The process's main task: module initialisation and anything that runs outside every context.
 * Root tasks fork from it, so what the process did before a request arrived is ordered before it.
 */
const mainId = `${processTag}.0`;
const mainHolder = state as unknown as { mainTask?: Task };
const mainTask: Task = (mainHolder.mainTask ??= makeTask(
  mainId,
  newTrace(),
  undefined,
  mainId,
  false,
  { component: mainId, clock: VectorClock.empty.with(mainId, 1) },
  0,
));

export function getMainTask(): Task {
  return mainTask;
}

/** The task of the running code: the context's, else the main task. Never throws. */
export function currentTask(): Task {
  return storage.getStore()?.task ?? mainTask;
}

/** The context's task, or undefined outside every context. */
export function activeTask(): Task | undefined {
  return storage.getStore()?.task;
}

/**
 * Forks a task from `parent`: every event of `parent` so far happens before every event of the child,
 * while the parent's later events are concurrent with the child until it joins it.
 */
export function forkTask(
  parent: Task,
  options: { traced: boolean; trace?: TraceInfo; extraClock?: VectorClock },
): Task {
  const released = release(parent);
  const base = options.extraClock ? released.merge(options.extraClock) : released;
  const child = spawnTask(parent, base, options, reusableChild(parent, base));
  boundary();
  return child;
}

/**
 * A task whose past is `base` (a clock the parent released earlier, e.g. when it scheduled a timer).
 * Does not advance the parent: the caller did that when it released `base`. `heir`: a task done with
 * its component (the previous run of an interval, the scheduler), which the new task continues when
 * `base` has seen all it did.
 */
export function spawnTask(
  parent: Task,
  base: VectorClock,
  options: { traced: boolean; trace?: TraceInfo },
  heir?: Task,
): Task {
  const id = nextTaskId();
  const unit = options.traced && parent.traced ? parent.unit : id;
  const forkSeq = options.trace ? 0 : parent.lastSeq; // a new trace starts with a root event
  return keepBounded(
    makeTask(id, options.trace ?? parent.trace, parent, unit, options.traced, startClock(id, base, heir), forkSeq),
  );
}

/** A root task of a new or continued trace (an incoming request, a `startTrace` job). */
export function newRootTask(trace: TraceInfo, incomingClock?: VectorClock): Task {
  return forkTask(mainTask, { traced: false, trace, ...(incomingClock ? { extraClock: incomingClock } : {}) });
}

/** Every event recorded under `clock` now happens before the task's later events. */
export function joinClock(task: Task, clock: VectorClock): void {
  acquire(task, clock);
  boundary();
}

/** `joiner` awaited `child`: what the child did happens before the joiner's later events. */
export function joinTask(joiner: Task, child: Task): void {
  join(joiner, child);
  boundary();
}

/** Runs `fn` with `task` as the current task, in a new segment. */
export function runInTask<R>(task: Task, fn: () => R): R {
  boundary();
  return storage.run({ task }, fn);
}
