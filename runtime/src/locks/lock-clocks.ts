import type { VectorClock } from '../clock/vector-clock.js';
import { release } from '../context/causality.js';
import { currentTask, joinClock } from '../context/storage.js';
import type { Recorder } from '../record/recorder.js';

/** Clock of the last release of each lock id: the happens-before edge to its next acquire. */
const released = new Map<string, VectorClock>();

/** Records an acquire: the last release of the same lock happens before everything after this. */
export function acquireLock(recorder: Recorder, lockId: string, lockType: string, location: string): void {
  try {
    const task = currentTask();
    const last = released.get(lockId);
    if (last) joinClock(task, last);
    task.locks = [...task.locks, lockId];
    recorder.event('LockAcquire', lockId, lockType, location, undefined, task);
  } catch {
    // Never throws into the application.
  }
}

/** Records a release: publishes this task's clock for the next acquirer, then advances the task. */
export function releaseLock(recorder: Recorder, lockId: string, lockType: string, location: string): void {
  try {
    const task = currentTask();
    recorder.event('LockRelease', lockId, lockType, location, undefined, task);
    released.set(lockId, release(task));
    const at = task.locks.lastIndexOf(lockId);
    if (at >= 0) task.locks = [...task.locks.slice(0, at), ...task.locks.slice(at + 1)];
  } catch {
    // Never throws into the application.
  }
}
