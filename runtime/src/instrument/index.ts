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
import { callPlain, callTracedAsync, callTracedSync } from '../context/traced-call.js';
import { reportOnce } from '../diag/diagnostics.js';
import type { Recorder } from '../record/recorder.js';
import type { ArgsMode } from './args.js';
import { argsFor } from './args.js';
import { callMethod } from './collections.js';
import {
  assignField as assignFieldOn,
  callScopeName,
  initField as initFieldOn,
  instanceName,
  trackField as trackFieldOn,
} from './fields.js';
import { formatPath } from './paths.js';

// 2: initField and assignField (tracked fields keep the build's class-field semantics).
// 3: scope (tracked bindings declared in a function are named per call).
export const INSTRUMENT_API = 4;

/** The default client, made from the environment on first use (a constructed client becomes the default). */
function defaultClient(): RacewayClient {
  const current = getDefaultClient<RacewayClient>();
  if (current) return current;
  try {
    return RacewayClient.provisionalFromEnv();
  } catch (error) {
    reportOnce(
      'instrument-config',
      `cannot create the default client from the environment: ${(error as Error).message}; tracking is off`,
    );
    return new RacewayClient({ enabled: false }, 'http', true);
  }
}

export function recorder(): Recorder {
  return defaultClient().recorder;
}

/** A read of `variable` (a path such as `accounts.alice.balance`) that produced `value`. Returns `value`. */
export function read<T>(variable: string, value: T, location: string): T {
  const r = recorder();
  if (r.enabled) r.stateChange(variable, value, value, 'Read', location);
  return value;
}

/** A write of `variable` from `oldValue` to `newValue`. Returns `newValue`. */
export function write<T>(variable: string, oldValue: unknown, newValue: T, location: string): T {
  const r = recorder();
  if (r.enabled) r.stateChange(variable, oldValue, newValue, 'Write', location);
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
 * `await gate(x)`: `x` itself, so the await behaves exactly as written, unless an exploration schedule
 * (`raceway run --explore`) holds this unit here; then a promise of `x` that settles once it is released.
 */
export { gate } from '../explore/gate.js';

/**
 * A call of a traced async function: `fn` runs as a child task of the caller. `name` is qualified
 * (`Class.method`, `outer.inner`), `location` is `path:line:col` of the declaration.
 */
export function callAsync<R>(
  name: string,
  module: string,
  location: string,
  args: unknown,
  fn: () => R | PromiseLike<R>,
): Promise<Awaited<R>> {
  const r = recorder();
  // Tracking off: the body's own promise, with nothing allocated on the way (a call costs what it did).
  if (!r.enabled) return callPlain(fn);
  return callTracedAsync(r, { name, module, location }, args, fn);
}

/** A call of a traced synchronous function (or generator factory): runs in the caller's task. */
export function callSync<R>(name: string, module: string, location: string, args: unknown, fn: () => R): R {
  const r = recorder();
  if (!r.enabled) return fn();
  return callTracedSync(r, { name, module, location }, args, fn);
}

/** A traced generator started (its body runs lazily, so it is recorded, not forked). */
export function enter(name: string, module: string, location: string, args: unknown): void {
  recorder().event('FunctionCall', name, { module }, location, args);
}

/** The variable name of a path with dynamic keys: `path('accounts', 'alice', 'balance')`. */
export function path(root: string, ...keys: unknown[]): string {
  try {
    return formatPath(root, keys);
  } catch {
    return `${root}[?]`;
  }
}

/** The value at `object[key]` for an event, without running getters or proxies' get traps. */
export function peek(object: unknown, property: unknown): unknown {
  // An object key would be converted by the lookup, running its toString: no old value then.
  if ((typeof property === 'object' && property !== null) || typeof property === 'function') return undefined;
  try {
    let current: unknown = object;
    for (let depth = 0; depth < 16 && current !== null && current !== undefined; depth++) {
      if (typeof current !== 'object' && typeof current !== 'function') return undefined;
      const d = Object.getOwnPropertyDescriptor(current, property as PropertyKey);
      if (d) return 'value' in d ? d.value : '[Getter]';
      current = Object.getPrototypeOf(current);
    }
  } catch {
    // A hostile proxy: no old value, the write is still recorded.
  }
  return undefined;
}

/** `receiver.method(...args)` on tracked state; see collections.ts for what is recorded. */
export function method(
  receiver: unknown,
  fn: unknown,
  methodName: unknown,
  args: unknown[],
  receiverName: string,
  location: string,
): unknown {
  const r = recorder();
  if (!r.enabled && typeof fn === 'function') return Reflect.apply(fn as (...a: unknown[]) => unknown, receiver, args);
  return callMethod(r, receiver, fn, methodName, args, receiverName, location);
}

/**
 * `functionName#n`: the name of this call of a function that declares tracked bindings, emitted once at the
 * start of its body. Its bindings are named after it (`makeQueue#3.pending`): each call has its own.
 */
export function scope(functionName: string): string {
  try {
    return recorder().enabled ? callScopeName(functionName) : functionName;
  } catch {
    return functionName;
  }
}

/** `Class#n` for an instance, the class name for a class (static fields). */
export function instance(object: unknown, className: string): string {
  return instanceName(object, className);
}

/** Makes a just-defined data field a tracked accessor (emitted after each `@tracked` field). */
export function trackField(object: object, className: string, field: string, location: string): undefined {
  try {
    if (recorder().enabled) trackFieldOn(recorder, object, className, field, location); // disabled: a plain field
  } catch {
    // Leaves the field as it was.
  }
  return undefined;
}

/** A tracked field's initialiser (`field = initField(this, …, value)`). Returns `value`. */
export function initField<T>(object: object, className: string, field: string, value: T, location: string): T {
  try {
    if (recorder().enabled) initFieldOn(recorder, object, className, field, value, location);
  } catch {
    // The field is initialised as it would have been.
  }
  return value;
}

/** `this.field = value` in the class, for a tracked field declared without initialiser. Returns `value`. */
export function assignField<T>(object: object, className: string, field: string, value: T, location: string): T {
  if (!recorder().enabled) {
    // The assignment exactly as written (class code is strict: a failed assignment throws).
    if (!Reflect.set(object, field, value))
      throw new TypeError(`Cannot assign to read only property '${field}' of object`);
    return value;
  }
  assignFieldOn(recorder, object, className, field, value, location);
  return value;
}

/** The args recorded for a traced call. */
export function args(values: unknown, mode: ArgsMode): unknown {
  return recorder().enabled ? argsFor(values, mode) : undefined;
}
