import { promisify } from 'node:util';
import timers from 'node:timers';
import { syncBuiltinESMExports } from 'node:module';
import type { VectorClock } from '../clock/vector-clock.js';
import { state } from './process-state.js';
import { release } from './causality.js';
import { activeTask, currentTask, newTrace, runInTask, spawnTask } from './storage.js';
import type { Task } from './task.js';

type AnyFn = (...args: unknown[]) => unknown;

/**
 * Gives every timer and immediate callback a task of its own. Scheduling is a release: the scheduler's
 * events so far happen before the callback's; two callbacks are ordered only if one scheduled the
 * other. Callbacks scheduled inside a trace stay in it; callbacks scheduled outside every trace (a
 * `setInterval` job set up at start) run each time as a new background trace. Successive runs of one
 * interval are ordered: the timer re-arms after the previous run returned, so a run starts from what the
 * previous one had done by then and continues its clock component (see causality.ts); a callback
 * scheduled as the last thing its scheduler did continues the scheduler's.
 */
interface TimerTasks {
  next(): Task;
  /** A run's callback returned: the next run of an interval is ordered after it. */
  ran(task: Task): void;
}

function timerTasks(repeating: boolean): TimerTasks {
  const scheduler = currentTask();
  const inTrace = activeTask() !== undefined;
  let base: VectorClock = release(scheduler);
  let previous: Task = scheduler;
  return {
    next() {
      return spawnTask(scheduler, base, { traced: false, ...(inTrace ? {} : { trace: newTrace() }) }, previous);
    },
    ran(task) {
      if (!repeating) return;
      base = release(task);
      previous = task;
    },
  };
}

function wrapCallback(callback: AnyFn, repeating: boolean): AnyFn {
  let tasks: TimerTasks;
  try {
    tasks = timerTasks(repeating);
  } catch {
    return callback;
  }
  return function racewayTimerCallback(this: unknown, ...args: unknown[]) {
    let task: Task;
    try {
      task = tasks.next();
    } catch {
      return callback.apply(this, args);
    }
    try {
      return runInTask(task, () => callback.apply(this, args));
    } finally {
      try {
        tasks.ran(task);
      } catch {
        // Ordering the next run is bookkeeping; the callback's outcome stands.
      }
    }
  };
}

function wrapScheduler<F extends AnyFn>(original: F, repeating: boolean): F {
  const wrapped = function (this: unknown, callback: unknown, ...rest: unknown[]) {
    const cb = typeof callback === 'function' ? wrapCallback(callback as AnyFn, repeating) : callback;
    return original.call(this, cb, ...rest);
  } as unknown as F;
  Object.defineProperty(wrapped, 'name', { value: original.name });
  const custom = (original as unknown as Record<symbol, unknown>)[promisify.custom];
  if (custom !== undefined) {
    Object.defineProperty(wrapped, promisify.custom, { value: custom, configurable: true, writable: true });
  }
  return wrapped;
}

/** Installs the timer wrappers once per process. */
export function installTimerTasks(): void {
  if (state.installed.has('timers')) return;
  state.installed.add('timers');
  const g = globalThis as unknown as Record<string, AnyFn>;
  const t = timers as unknown as Record<string, AnyFn>;
  const setTimeoutW = wrapScheduler(g.setTimeout!, false);
  const setIntervalW = wrapScheduler(g.setInterval!, true);
  const setImmediateW = wrapScheduler(g.setImmediate!, false);
  g.setTimeout = setTimeoutW;
  g.setInterval = setIntervalW;
  g.setImmediate = setImmediateW;
  t.setTimeout = setTimeoutW;
  t.setInterval = setIntervalW;
  t.setImmediate = setImmediateW;
  syncBuiltinESMExports();
}
