import type { CompactBatch, CompactRunsBatch } from '@raceway/protocol';
import { decodeCompactBatch, isCompactBatch } from '@raceway/protocol';
import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';

/**
 * Batch text at rest: Brotli at quality 1, about 25x smaller on event JSON for roughly a microsecond per
 * event; the bytes saved are bytes SQLite does not write twice (WAL, then checkpoint). Text stored by
 * the first layout is plain TEXT and is read as it is.
 */
export function packBatchText(text: string): Buffer {
  return brotliCompressSync(text, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 1, [constants.BROTLI_PARAM_SIZE_HINT]: text.length },
  });
}

export function unpackBatchText(stored: Buffer | string): string {
  return typeof stored === 'string' ? stored : brotliDecompressSync(stored).toString('utf8');
}

/** A batch body as it is stored: text compressed here, or text a parser thread already compressed. */
export function storedBody(body: string | Uint8Array): Buffer {
  return typeof body === 'string' ? packBatchText(body) : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

/**
 * The events of a stored batch text, by position: `{"events": [...]}` as sent, or a compact batch decoded
 * to the same standard events.
 */
export function eventsOfBatchText<E>(text: string): E[] {
  const body = JSON.parse(text) as { events: E[] } | CompactBatch | CompactRunsBatch;
  return isCompactBatch(body)
    ? (decodeCompactBatch(body as CompactBatch | CompactRunsBatch) as E[])
    : (body as { events: E[] }).events;
}
