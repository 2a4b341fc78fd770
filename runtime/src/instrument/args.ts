import { Snapshot } from '../record/values.js';

export type ArgsMode = 'summary' | 'none' | 'full';

function summarize(value: unknown): unknown {
  switch (typeof value) {
    case 'string':
      return value.length > 64 ? `${value.slice(0, 64)}…` : value;
    case 'number':
    case 'boolean':
      return value;
    case 'undefined':
      return null;
    case 'bigint':
      return `${value}n`;
    case 'function':
      return `[Function ${value.name || 'anonymous'}]`;
    case 'symbol':
      return value.toString();
    default:
      if (value === null) return null;
      if (Array.isArray(value)) return `[Array(${value.length})]`;
      return `[${(value as object).constructor?.name ?? 'Object'}]`;
  }
}

/** The arguments of a traced call as recorded: a shallow summary, nothing, or a bounded copy. */
export function argsFor(values: unknown, mode: ArgsMode): unknown {
  if (mode === 'none') return [];
  const list = Array.isArray(values) ? values : [values];
  if (mode === 'summary') return new Snapshot(list.slice(0, 10).map(summarize));
  return list;
}
