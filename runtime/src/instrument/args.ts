import { types } from 'node:util';
import { classNameOf, primitiveToJson, Snapshot } from '../record/values.js';

export type ArgsMode = 'summary' | 'none' | 'full';

/** Short strings and primitives as they are, objects by their type only. */
function summarize(value: unknown): unknown {
  if (typeof value === 'string') return value.length > 64 ? `${value.slice(0, 64)}…` : value;
  if (typeof value !== 'object' || value === null) return primitiveToJson(value);
  // Never runs application code: no proxy traps, no getters.
  if (types.isProxy(value)) return '[Proxy]';
  if (Array.isArray(value)) return `[Array(${value.length})]`;
  return `[${classNameOf(value)}]`;
}

/** The arguments of a traced call as recorded: a shallow summary, nothing, or a bounded copy. */
export function argsFor(values: unknown, mode: ArgsMode): unknown {
  if (mode === 'none') return [];
  const list = Array.isArray(values) ? values : [values];
  if (mode === 'summary') return new Snapshot(list.slice(0, 10).map(summarize));
  return list;
}
