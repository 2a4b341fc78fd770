/**
 * The entry that code emitted by @raceway/transformer and @raceway/babel-plugin calls.
 * Its signature is a contract between build output and runtime: change it only with a new
 * INSTRUMENT_API version, and keep the old functions for code built against the old one.
 *
 * Every function here records through the process default client (made from RACEWAY_* environment
 * variables on first use when the app made none), returns what it was given, and never throws.
 */
import { RacewayClient } from '../api/client.js';
import { getDefaultClient } from '../api/default-client.js';
import { boundary as segmentBoundary } from '../clock/segments.js';
import { callTracedAsync, callTracedSync } from '../context/traced-call.js';
import { reportOnce } from '../diag/diagnostics.js';
import type { Recorder } from '../record/recorder.js';

export const INSTRUMENT_API = 1;

let cached: RacewayClient | undefined;

function client(): RacewayClient {
  const current = getDefaultClient<RacewayClient>();
  if (current) return (cached = current);
  try {
    return (cached = RacewayClient.fromEnv());
  } catch (error) {
    reportOnce('instrument-config', `cannot create the default client from the environment: ${(error as Error).message}; tracking is off`);
    return (cached = new RacewayClient({ enabled: false }));
  }
}

function recorder(): Recorder {
  const current = getDefaultClient<RacewayClient>();
  return (current === cached && cached ? cached : client()).recorder;
}

/** A read of `variable` (a path such as `accounts.alice.balance`) that produced `value`. Returns `value`. */
export function read<T>(variable: string, value: T, location: string): T {
  recorder().stateChange(variable, value, value, 'Read', location);
  return value;
}

/** A write of `variable` from `oldValue` to `newValue`. Returns `newValue`. */
export function write<T>(variable: string, oldValue: unknown, newValue: T, location: string): T {
  recorder().stateChange(variable, oldValue, newValue, 'Write', location);
  return newValue;
}

/** Code resumed after an `await`, `for await` step or `yield`: a new synchronous segment begins. */
export function boundary(): void {
  segmentBoundary();
}

/** Passes `value` through after marking a boundary: `boundary()` as an expression, `resume(await x)`. */
export function resume<T>(value: T): T {
  segmentBoundary();
  return value;
}

/**
 * A call of a traced async function: `fn` runs as a child task of the caller. `name` is qualified
 * (`Class.method`, `outer.inner`), `location` is `path:line:col` of the declaration.
 */
export function callAsync<R>(name: string, module: string, location: string, args: unknown, fn: () => R | PromiseLike<R>): Promise<Awaited<R>> {
  return callTracedAsync(recorder(), { name, module, location }, args, fn);
}

/** A call of a traced synchronous function (or generator factory): runs in the caller's task. */
export function callSync<R>(name: string, module: string, location: string, args: unknown, fn: () => R): R {
  return callTracedSync(recorder(), { name, module, location }, args, fn);
}
