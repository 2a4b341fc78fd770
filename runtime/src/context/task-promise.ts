import type { Task } from './task.js';
import { currentTask, joinTask } from './storage.js';

/**
 * The promise a traced async call returns. `await` and `Promise.all/allSettled/race/any` call `then`
 * on a promise subclass (a native promise would be adopted silently), and the callbacks they pass
 * run in the awaiting task's context: that is where the child's clock is joined into its awaiter.
 * A child nobody awaits joins nothing. Derived promises are plain Promises.
 */
export class TaskPromise<T> extends Promise<T> {
  static override get [Symbol.species](): PromiseConstructor {
    return Promise;
  }

  private child: Task | undefined;

  static of<T>(settled: Promise<T>, child: Task): TaskPromise<T> {
    let resolveOuter!: (value: T | PromiseLike<T>) => void;
    let rejectOuter!: (reason: unknown) => void;
    const promise = new TaskPromise<T>((resolve, reject) => {
      resolveOuter = resolve;
      rejectOuter = reject;
    });
    promise.child = child;
    settled.then(resolveOuter, rejectOuter);
    return promise;
  }

  override then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    const child = this.child;
    if (!child) return super.then(onFulfilled, onRejected);
    const join = () => {
      try {
        joinTask(currentTask(), child);
      } catch {
        // Joining is bookkeeping; it must not affect the awaiting code.
      }
    };
    return super.then(
      typeof onFulfilled === 'function'
        ? (value: T) => {
            join();
            return onFulfilled(value);
          }
        : onFulfilled,
      typeof onRejected === 'function'
        ? (reason: unknown) => {
            join();
            return onRejected(reason);
          }
        : onRejected,
    );
  }
}

/**
 * `result` as a promise that joins `task` into whoever awaits it, when `result` is a native promise
 * (what an async function returns); anything else is returned as it is.
 */
export function joinedWhenAwaited<R>(result: R, task: Task): R {
  if (!(result instanceof Promise) || result instanceof TaskPromise) return result;
  return TaskPromise.of(result as Promise<unknown>, task) as R;
}
