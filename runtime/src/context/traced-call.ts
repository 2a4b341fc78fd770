import type { Recorder } from '../record/recorder.js';
import { describeError } from '../record/errors-to-events.js';
import { currentTask, forkTask, storage } from './storage.js';
import { joinedWhenAwaited } from './await-joins.js';

export interface CallSite {
  name: string;
  module: string;
  location: string;
}

/**
 * A traced async call: a child task forked from the caller, a FunctionCall event first, the error if it
 * fails, a FunctionReturn event with the duration last. Returns the very promise `fn` returned (it
 * settles when it would have); whoever reacts to it joins the child (see await-joins.ts). The end is
 * recorded once someone reacts to the promise: a call nobody awaits, handles or chains records no end.
 */
export function callTracedAsync<R>(
  recorder: Recorder,
  site: CallSite,
  args: unknown,
  fn: () => R | PromiseLike<R>,
): Promise<Awaited<R>> {
  // Disabled: the call as it is, its own promise (no task, no join, no extra turn).
  if (!recorder.enabled) return callPlain(fn);
  const child = forkTask(currentTask(), { traced: true });
  const started = performance.now();
  const finish = (ok: boolean) => {
    recorder.event(
      'FunctionReturn',
      site.name,
      { durationNs: Math.round((performance.now() - started) * 1e6), ok },
      site.location,
      undefined,
      child,
    );
  };
  const fail = (error: unknown) => {
    recorder.event('Error', site.name, describeError(error), site.location, undefined, child);
    finish(false);
  };
  let result: R | PromiseLike<R> | undefined;
  let thrown: { error: unknown } | undefined;
  storage.run({ task: child }, () => {
    recorder.event('FunctionCall', site.name, { module: site.module }, site.location, args, child);
    try {
      result = fn();
    } catch (error) {
      thrown = { error };
    }
  });
  if (thrown) {
    fail(thrown.error);
    return joinedWhenAwaited(Promise.reject(thrown.error), child);
  }
  if (result instanceof Promise) {
    return joinedWhenAwaited(result as Promise<Awaited<R>>, child, { fulfilled: () => finish(true), rejected: fail });
  }
  finish(true);
  return joinedWhenAwaited(Promise.resolve(result) as Promise<Awaited<R>>, child);
}

/** `fn()` as a promise, adding no turn when it already returns a native promise. */
export function callPlain<R>(fn: () => R | PromiseLike<R>): Promise<Awaited<R>> {
  try {
    const result = fn();
    return (result instanceof Promise ? result : Promise.resolve(result)) as Promise<Awaited<R>>;
  } catch (error) {
    return Promise.reject(error);
  }
}

/** A traced synchronous call: runs in the caller's task (it is atomic anyway); records call, error, return. */
export function callTracedSync<R>(recorder: Recorder, site: CallSite, args: unknown, fn: () => R): R {
  if (!recorder.enabled) return fn();
  const task = currentTask();
  const started = performance.now();
  recorder.event('FunctionCall', site.name, { module: site.module }, site.location, args, task);
  let ok = false;
  try {
    const value = fn();
    ok = true;
    return value;
  } catch (error) {
    recorder.event('Error', site.name, describeError(error), site.location, undefined, task);
    throw error;
  } finally {
    recorder.event(
      'FunctionReturn',
      site.name,
      { durationNs: Math.round((performance.now() - started) * 1e6), ok },
      site.location,
      undefined,
      task,
    );
  }
}
