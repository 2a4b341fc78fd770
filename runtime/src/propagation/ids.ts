import { randomBytes } from 'node:crypto';

const HEX32 = /^[0-9a-f]{32}$/;

// Random bytes are drawn 4 KiB at a time and kept as hex text: one call per request to the system
// generator, or a hex conversion per id, costs more than the rest of a request's bookkeeping.
const POOL_BYTES = 4096;
let pool = randomBytes(POOL_BYTES).toString('hex');
let offset = 0;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

function randomHex(bytes: number): string {
  const chars = bytes * 2;
  if (offset + chars > pool.length) {
    pool = randomBytes(POOL_BYTES).toString('hex');
    offset = 0;
  }
  const hex = pool.slice(offset, offset + chars);
  offset += chars;
  return hex;
}

/** A random, non-zero 32-hex trace id. */
export function newTraceId(): string {
  for (;;) {
    const id = randomHex(16);
    if (id !== ZERO_TRACE) return id;
  }
}

/** A random, non-zero 16-hex span id. */
export function newSpanId(): string {
  for (;;) {
    const id = randomHex(8);
    if (id !== ZERO_SPAN) return id;
  }
}

/** `0af7651916cd43dd8448eb211c80319c` → `0af76519-16cd-43dd-8448-eb211c80319c`. */
export function traceIdToUuid(hex32: string): string {
  return `${hex32.slice(0, 8)}-${hex32.slice(8, 12)}-${hex32.slice(12, 16)}-${hex32.slice(16, 20)}-${hex32.slice(20)}`;
}

/** UUID form (any case, with or without dashes) → 32 lowercase hex, or undefined. */
export function uuidToTraceId(uuid: string): string | undefined {
  const hex = uuid.replace(/-/g, '').toLowerCase();
  if (!HEX32.test(hex) || hex === ZERO_TRACE) return undefined;
  return hex;
}
