import { randomBytes } from 'node:crypto';

const HEX32 = /^[0-9a-f]{32}$/;

// Random bytes are drawn 4 KiB at a time: one call per request to the system generator costs more
// than the rest of a request's bookkeeping.
const POOL_SIZE = 4096;
let pool = randomBytes(POOL_SIZE);
let offset = 0;

function randomHex(bytes: number): string {
  if (offset + bytes > POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    offset = 0;
  }
  const hex = pool.toString('hex', offset, offset + bytes);
  offset += bytes;
  return hex;
}

/** A random, non-zero 32-hex trace id. */
export function newTraceId(): string {
  for (;;) {
    const id = randomHex(16);
    if (id !== '0'.repeat(32)) return id;
  }
}

/** A random, non-zero 16-hex span id. */
export function newSpanId(): string {
  for (;;) {
    const id = randomHex(8);
    if (id !== '0'.repeat(16)) return id;
  }
}

/** `0af7651916cd43dd8448eb211c80319c` → `0af76519-16cd-43dd-8448-eb211c80319c`. */
export function traceIdToUuid(hex32: string): string {
  return `${hex32.slice(0, 8)}-${hex32.slice(8, 12)}-${hex32.slice(12, 16)}-${hex32.slice(16, 20)}-${hex32.slice(20)}`;
}

/** UUID form (any case, with or without dashes) → 32 lowercase hex, or undefined. */
export function uuidToTraceId(uuid: string): string | undefined {
  const hex = uuid.replace(/-/g, '').toLowerCase();
  if (!HEX32.test(hex) || hex === '0'.repeat(32)) return undefined;
  return hex;
}
