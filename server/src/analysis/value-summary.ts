/**
 * Values as the analysis and the report carry them: whatever an event holds (a 5,000-level nesting, a
 * megabyte string) becomes small, JSON-safe data. The stored event keeps the value as sent.
 */
const MAX_DEPTH = 6;
const MAX_ENTRIES = 20;
const MAX_STRING = 500;
const MAX_NODES = 200;

export function summariseValue(value: unknown): unknown {
  return summarise(value, 0, { nodes: MAX_NODES });
}

function summarise(value: unknown, depth: number, budget: { nodes: number }): unknown {
  if (typeof value === 'string')
    return value.length <= MAX_STRING ? value : `${value.slice(0, MAX_STRING)}…[+${value.length - MAX_STRING} chars]`;
  if (value === null || typeof value !== 'object') return value;
  if (--budget.nodes < 0) return '[…]';
  if (Array.isArray(value)) {
    if (depth >= MAX_DEPTH) return `[Array(${value.length})]`;
    const out = value.slice(0, MAX_ENTRIES).map((v) => summarise(v, depth + 1, budget));
    if (value.length > MAX_ENTRIES) out.push(`…[+${value.length - MAX_ENTRIES} items]`);
    return out;
  }
  if (depth >= MAX_DEPTH) return '[Object]';
  const out: Record<string, unknown> = {};
  let n = 0;
  for (const key of Object.keys(value)) {
    if (n++ >= MAX_ENTRIES) {
      Object.defineProperty(out, '…', {
        value: `[+${Object.keys(value).length - MAX_ENTRIES} keys]`,
        enumerable: true,
        writable: true,
        configurable: true,
      });
      break;
    }
    // defineProperty: a `__proto__` key stays data.
    Object.defineProperty(out, key, {
      value: summarise((value as Record<string, unknown>)[key], depth + 1, budget),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/** Whether `value` nests deeper than `limit` levels (stops looking at the limit, so it cannot overflow). */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (limit <= 0) return true;
  for (const key of Object.keys(value)) {
    if (nestsDeeperThan((value as Record<string, unknown>)[key], limit - 1)) return true;
  }
  return false;
}

/** `value` with everything below `limit` levels replaced by a marker (a copy only where it was deeper). */
export function boundDepth(value: unknown, limit: number): unknown {
  if (value === null || typeof value !== 'object' || !nestsDeeperThan(value, limit)) return value;
  if (limit <= 0) return '[nested too deep]';
  if (Array.isArray(value)) return value.map((v) => boundDepth(v, limit - 1));
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    Object.defineProperty(out, key, {
      value: boundDepth((value as Record<string, unknown>)[key], limit - 1),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}
