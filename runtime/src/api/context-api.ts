import type { VectorClock } from '../clock/vector-clock.js';
import { release } from '../context/causality.js';
import { activeTask, runInTask, spawnTask } from '../context/storage.js';
import type { Task } from '../context/task.js';
import { joinedWhenAwaited } from '../context/await-joins.js';

const kCaptured = Symbol('raceway.captured');

/** An opaque handle on a point in a trace, to continue it elsewhere (a queue worker, a spawned task). */
export interface RacewayContext {
  readonly traceId: string;
  readonly [kCaptured]: { readonly parent: Task; readonly base: VectorClock };
}

/**
 * Captures the current point of the current trace. What ran before the capture happens before
 * whatever later runs with it; the capturing task's later code does not.
 * Returns undefined outside every context.
 */
export function captureContext(): RacewayContext | undefined {
  const task = activeTask();
  if (!task) return undefined;
  const base = release(task);
  return Object.freeze({ traceId: task.trace.traceId, [kCaptured]: { parent: task, base } });
}

/**
 * Runs `fn` as a new task of the captured trace, forked at the capture point. Each run is its own
 * task, so two workers continuing one capture are concurrent. Without a context, just runs `fn`.
 */
export function runWithContext<R>(context: RacewayContext | undefined, fn: () => R): R {
  const captured = context?.[kCaptured];
  if (!captured) return fn();
  let task: Task;
  try {
    task = spawnTask(captured.parent, captured.base, { traced: false });
  } catch {
    return fn();
  }
  // Awaiting the run joins it, as awaiting a traced call does.
  return joinedWhenAwaited(runInTask(task, fn), task);
}

/** `fn` bound to the current context: each call runs as a new task forked where bindContext was called. */
export function bindContext<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
  const context = captureContext();
  return function (this: unknown, ...args: A): R {
    return runWithContext(context, () => fn.apply(this, args));
  };
}
