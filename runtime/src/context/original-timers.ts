/**
 * Timer functions as they were before the SDK wrapped them, for the SDK's own use: its flush and
 * retry timers must not become application tasks.
 */
export const originalTimers = {
  setTimeout: globalThis.setTimeout,
  clearTimeout: globalThis.clearTimeout,
  setInterval: globalThis.setInterval,
  clearInterval: globalThis.clearInterval,
  setImmediate: globalThis.setImmediate,
};

/** A timer that does not keep the process alive. */
export function unrefTimeout(fn: () => void, ms: number): NodeJS.Timeout {
  const t = originalTimers.setTimeout(fn, ms);
  t.unref();
  return t;
}
