import type { StoredEvent } from '../store/event-store.js';
import type { BatchRows, EventRow, Rejection } from '../store/ingest-batch.js';
import { toEventRow } from '../store/event-row.js';
import { isCompactBatch } from '@raceway/protocol';
import { checkCompactBatch, CompactBatchError } from './check-compact-batch.js';
import { validateEvent } from './validate-event.js';

export type { Rejection } from '../store/ingest-batch.js';

/** What a request body turned out to be: a batch (valid rows + rejections), or why it is not one. */
export type ParsedBatch =
  | {
      kind: 'batch';
      count: number;
      rows: BatchRows;
      /** the body compressed, when a parser thread did it */ packed?: Uint8Array;
      rejected: Rejection[];
      /** A compact batch's id prefix: its rows are keyed by sequence number. */
      idPrefix?: string;
    }
  | { kind: 'bad-json'; message: string }
  | { kind: 'bad-batch'; reason?: string };

/**
 * Parses and validates one `POST /events` body. JSON.parse makes every key an own data property, so a
 * `__proto__` or `constructor.prototype` key inside a value is kept as data and cannot reach a prototype;
 * nothing downstream copies event objects with assignment semantics. Each event is then validated alone:
 * one bad event is refused by its index, never the whole batch. A compact batch (`@raceway/protocol`'s
 * compact-batch) is checked to the same limits and stored as it came.
 */
export function parseBatch(text: string): ParsedBatch {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    return { kind: 'bad-json', message: error instanceof Error ? error.message : String(error) };
  }
  if (isCompactBatch(body)) {
    try {
      const { rows, count, rejected, idPrefix } = checkCompactBatch(body as Record<string, unknown>);
      return { kind: 'batch', count, rows, rejected, idPrefix };
    } catch (error) {
      if (error instanceof CompactBatchError) return { kind: 'bad-batch', reason: error.message };
      throw error;
    }
  }
  const events = body !== null && typeof body === 'object' ? (body as { events?: unknown }).events : undefined;
  if (!Array.isArray(events)) return { kind: 'bad-batch' };
  const rows: EventRow[] = [];
  const rejected: Rejection[] = [];
  for (let index = 0; index < events.length; index++) {
    const event: unknown = events[index];
    const reason = validateEvent(event);
    if (reason) rejected.push({ index, reason });
    else rows.push(toEventRow(event as StoredEvent, index));
  }
  return { kind: 'batch', count: rows.length, rows, rejected };
}
