import { promiseHooks } from 'node:v8';
import { boundary } from '../clock/segments.js';
import { join } from './causality.js';
import { state } from './process-state.js';
import { currentTask } from './storage.js';
import type { Task } from './task.js';

/**
 * Joins recorded where the awaiting code resumes, without touching the promise. A traced call, a
 * `startTrace` or a `runWithContext` returns the very promise its function returned (so it settles when
 * it would have, no turn later), remembered here with its task. V8 creates a promise for every reaction
 * to it: an `await` (in any code, instrumented or not), a `then`/`catch`/`finally`, a
 * `Promise.all/allSettled/race/any` over it, an async function returning it. When such a reaction is
 * created the current task is the awaiter; just before it runs, the awaited task's clock is joined into it.
 * A promise nobody reacts to joins nothing.
 *
 * Promise hooks cost a call per promise created while recording is on (measured in bench/); nothing is
 * installed for a disabled client.
 */
/** What happens when traced work's promise settles: the call's end is recorded (only once someone reacts). */
export interface SettleObserver {
  fulfilled(): void;
  rejected(reason: unknown): void;
}

interface TracedWork {
  readonly task: Task;
  observer: SettleObserver | undefined;
}

interface Shared {
  /** Promise returned by traced work → its task. */
  readonly traced: WeakMap<Promise<unknown>, TracedWork>;
  /** Reaction promise → who awaits which task. */
  readonly pending: WeakMap<Promise<unknown>, { joiner: Task; child: Task }>;
}

const shared: Shared = ((state as unknown as { awaitJoins?: Shared }).awaitJoins ??= {
  traced: new WeakMap(),
  pending: new WeakMap(),
});
const then = Promise.prototype.then;
/** Set while this module adds its own reaction: that one is no awaiter. */
let observing = false;

function onInit(promise: Promise<unknown>, parent: Promise<unknown> | undefined): void {
  if (parent === undefined || observing) return;
  try {
    const work = shared.traced.get(parent);
    if (work === undefined) return;
    shared.pending.set(promise, { joiner: currentTask(), child: work.task });
    // Someone handles the promise now, so a reaction of ours changes nothing about unhandled rejections;
    // added after theirs, it runs after theirs, in the same turn.
    const observer = work.observer;
    if (observer) {
      work.observer = undefined;
      observing = true;
      try {
        // The derived promise settles with the observer's return values, which never throw: nothing to await.
        void then.call(
          parent,
          () => observer.fulfilled(),
          (reason: unknown) => observer.rejected(reason),
        );
      } finally {
        observing = false;
      }
    }
  } catch {
    // Bookkeeping only: the promise is left as it is.
  }
}

function onBefore(promise: Promise<unknown>): void {
  try {
    const waiting = shared.pending.get(promise);
    if (waiting === undefined) return;
    shared.pending.delete(promise);
    join(waiting.joiner, waiting.child);
    boundary();
  } catch {
    // Bookkeeping only: the reaction runs as it would have.
  }
}

/** Installs the hooks once per process. */
export function installAwaitJoins(): void {
  if (state.installed.has('await-joins')) return;
  state.installed.add('await-joins');
  promiseHooks.onInit(onInit);
  promiseHooks.onBefore(onBefore);
}

/**
 * `result` as it is; when it is a native promise (what an async function returns), whoever reacts to it
 * joins `task` when the reaction runs, and `observer` learns how it settled once someone reacts to it
 * (a promise nobody handles is left unhandled, exactly as it was).
 */
export function joinedWhenAwaited<R>(result: R, task: Task, observer?: SettleObserver): R {
  if (result instanceof Promise) {
    installAwaitJoins();
    shared.traced.set(result, { task, observer });
  }
  return result;
}
