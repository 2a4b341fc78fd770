import { types } from 'node:util';
/**
 * Turns application values into bounded, JSON-safe data without running application code: accessors
 * are not invoked, cycles are cut, depth, width and string lengths are capped with visible markers.
 */
const MAX_STRING = 2048;
const MAX_DEPTH = 4;
const MAX_ENTRIES = 50;
const MAX_NODES = 300;

function truncateString(s: string): string {
  return s.length <= MAX_STRING ? s : `${s.slice(0, MAX_STRING)}…[+${s.length - MAX_STRING} chars]`;
}

/** Primitives and functions: never throws. */
export function primitiveToJson(value: unknown): unknown {
  switch (typeof value) {
    case 'string':
      return truncateString(value);
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'boolean':
      return value;
    case 'undefined':
      return null;
    case 'bigint':
      return `${value}n`;
    case 'symbol':
      return value.toString();
    case 'function':
      return `[Function ${(value as { name?: string }).name || 'anonymous'}]`;
    default:
      return value === null ? null : undefined;
  }
}

/**
 * A snapshot of `value` to store with an event. Primitives are returned unchanged (they cannot
 * change later); objects are copied now, because the app may mutate them before the event is sent.
 */
export function captureValue(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  // `instanceof` would run a proxy's getPrototypeOf trap (and throw on a revoked one).
  if (!types.isProxy(value) && value instanceof Snapshot) return value;
  return new Snapshot(value);
}

/** A boxed object snapshot, so serialisation can tell it from a captured primitive. */
export class Snapshot {
  readonly data: unknown;
  constructor(value: object) {
    const budget = { nodes: MAX_NODES };
    let data: unknown;
    try {
      data = toJsonSafe(value, 0, new Set<object>(), budget);
    } catch {
      data = '[Unserializable]';
    }
    this.data = data;
  }
}

/**
 * The name of an object's class, read without running application code: the prototype's own `constructor`
 * data property and that function's own `name` data property (a getter on either is not called).
 */
export function classNameOf(value: object): string {
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === null) return 'Object';
  const ctor = Object.getOwnPropertyDescriptor(proto as object, 'constructor');
  if (!ctor || !('value' in ctor) || typeof ctor.value !== 'function') return 'Object';
  const name = Object.getOwnPropertyDescriptor(ctor.value as object, 'name');
  return name && 'value' in name && typeof name.value === 'string' && name.value ? name.value : 'Object';
}

function toJsonSafe(value: unknown, depth: number, seen: Set<object>, budget: { nodes: number }): unknown {
  if (value === null || typeof value !== 'object') return primitiveToJson(value);
  // A proxy's traps are application code (and a revoked proxy throws on any touch): never looked into.
  if (types.isProxy(value)) return '[Proxy]';
  if (seen.has(value)) return '[Circular]';
  if (--budget.nodes < 0) return '[Truncated]';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (value instanceof RegExp) return String(value);
  if (value instanceof Error) return { name: value.name, message: truncateString(value.message) };
  if (ArrayBuffer.isView(value)) return `[${classNameOf(value)}(${value.byteLength} bytes)]`;
  if (value instanceof Promise || value instanceof WeakMap || value instanceof WeakSet) {
    return `[${classNameOf(value)}]`;
  }
  if (depth >= MAX_DEPTH) return Array.isArray(value) ? `[Array(${value.length})]` : '[Object]';
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      const out: unknown[] = [];
      const n = Math.min(value.length, MAX_ENTRIES);
      for (let i = 0; i < n; i++) {
        const d = Object.getOwnPropertyDescriptor(value, i);
        out.push(d && 'value' in d ? toJsonSafe(d.value, depth + 1, seen, budget) : d ? '[Getter]' : null);
      }
      if (value.length > n) out.push(`…[+${value.length - n} items]`);
      return out;
    }
    if (value instanceof Map || value instanceof Set) {
      const out: unknown[] = [];
      let i = 0;
      // The built-in iterators, not the object's own (a subclass may override them).
      for (const entry of value instanceof Map ? Map.prototype.entries.call(value) : Set.prototype.values.call(value)) {
        if (i++ >= MAX_ENTRIES) {
          out.push(`…[+${value.size - MAX_ENTRIES} entries]`);
          break;
        }
        out.push(toJsonSafe(entry, depth + 1, seen, budget));
      }
      return { [`[${value instanceof Map ? 'Map' : 'Set'}]`]: out };
    }
    const out: Record<string, unknown> = {};
    const keys = Object.keys(value);
    const n = Math.min(keys.length, MAX_ENTRIES);
    for (let i = 0; i < n; i++) {
      const key = keys[i]!;
      const d = Object.getOwnPropertyDescriptor(value, key);
      const data = d && 'value' in d ? toJsonSafe(d.value, depth + 1, seen, budget) : '[Getter]';
      // An own `__proto__` key is data: assigning it would set the copy's prototype and lose the key.
      if (key === '__proto__')
        Object.defineProperty(out, key, { value: data, enumerable: true, writable: true, configurable: true });
      else out[key] = data;
    }
    if (keys.length > n) out['…'] = `[+${keys.length - n} keys]`;
    return out;
  } finally {
    seen.delete(value);
  }
}

/** A captured value (primitive or Snapshot) → JSON-safe data. */
export function capturedToJson(captured: unknown): unknown {
  return captured instanceof Snapshot ? captured.data : primitiveToJson(captured);
}
