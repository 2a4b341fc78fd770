import { originalTimers } from '../context/original-timers.js';

/**
 * Time as the sender sees it: injectable so tests drive retries, intervals and deadlines without waiting.
 * Timers do not keep the process alive, except one set with `keepAlive` (a shutdown the app awaits).
 */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number, keepAlive?: boolean): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

/** Wall-clock time and the timers the app had before any instrumentation wrapped them, unref'd. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms, keepAlive = false) {
    const timer = originalTimers.setTimeout(fn, ms);
    if (!keepAlive) timer.unref();
    return timer;
  },
  clearTimeout: (handle) => originalTimers.clearTimeout(handle as NodeJS.Timeout),
  setInterval(fn, ms) {
    const timer = originalTimers.setInterval(fn, ms);
    timer.unref();
    return timer;
  },
  clearInterval: (handle) => originalTimers.clearInterval(handle as NodeJS.Timeout),
};
