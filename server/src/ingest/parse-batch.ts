import secureJson from 'secure-json-parse';
import type { StoredEvent } from '../store/event-store.js';
import type { BatchRows, EventRow } from '../store/ingest-batch.js';
import { toEventRow } from '../store/event-row.js';
import { validateEvent } from './validate-event.js';

export interface Rejection {
  index: number;
  reason: string;
}

/** What a request body turned out to be: a batch (valid rows + rejections), or why it is not one. */
export type ParsedBatch =
  | { kind: 'batch'; count: number; rows: BatchRows; /** the body compressed, when a parser thread did it */ packed?: Uint8Array; rejected: Rejection[] }
  | { kind: 'bad-json'; message: string }
  | { kind: 'bad-batch' };

/** Text that could hold a prototype key: the names themselves, or any \u escape (which could spell them). */
const MAY_POISON = /__proto__|constructor|\\u/;
const mayPoison = (text: string) => MAY_POISON.test(text);

/**
 * Parses and validates one `POST /events` body. Plain JSON.parse when a substring check proves there is no
 * prototype key; otherwise secure-json-parse, which refuses `__proto__` and `constructor.prototype` keys
 * (the same rule as Fastify's own JSON parser).
 */
export function parseBatch(text: string): ParsedBatch {
  let body: unknown;
  try {
    body = mayPoison(text) ? secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }) : JSON.parse(text);
  } catch (error) {
    return { kind: 'bad-json', message: error instanceof Error ? error.message : String(error) };
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
