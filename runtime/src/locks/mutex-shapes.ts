import { RacewayLockError } from '../errors.js';

/** async-mutex's shape: `acquire()` resolves to a release function. */
export interface AcquireMutex {
  acquire(): Promise<() => void>;
}

/** A mutex with `lock()` / `unlock()` (lock may return a promise). */
export interface LockUnlockMutex {
  lock(): unknown;
  unlock(): unknown;
}

export type MutexLike = AcquireMutex | LockUnlockMutex;

/** Acquires `mutex` and returns its release function, whatever its shape. */
export async function acquireMutex(mutex: MutexLike): Promise<() => void> {
  if (mutex && typeof (mutex as AcquireMutex).acquire === 'function') {
    const release = await (mutex as AcquireMutex).acquire();
    return typeof release === 'function' ? release : () => undefined;
  }
  if (
    mutex &&
    typeof (mutex as LockUnlockMutex).lock === 'function' &&
    typeof (mutex as LockUnlockMutex).unlock === 'function'
  ) {
    await (mutex as LockUnlockMutex).lock();
    return () => void (mutex as LockUnlockMutex).unlock();
  }
  throw new RacewayLockError();
}

/** A FIFO in-process mutex, used by `withLock(id, fn)` when the app brings none. */
export class FifoMutex implements AcquireMutex {
  private tail: Promise<void> = Promise.resolve();

  acquire(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((resolve) => {
      release = resolve;
    });
    const ready = this.tail.then(() => release);
    this.tail = this.tail.then(() => next);
    return ready;
  }
}
