import { eventIdOf } from '@raceway/protocol';

/**
 * What the store needs of one validated event: the columns it indexes, and where the event sits in
 * the batch text. `[key, traceId, kind, service, span, upstreamSpan, timestamp, position]`.
 * The key is the event's id, or, in a compact batch, its sequence number: the id is then the batch's id
 * prefix and that number (`eventIdOf`), and is never built on the way in.
 * A tuple (not an object) because batches cross to the writer thread by structured clone.
 */
export type EventRow = [
  key: string | number,
  traceId: string,
  kind: string,
  service: string,
  span: string | null,
  upstreamSpan: string | null,
  timestamp: string,
  position: number,
];

/** A request body: its JSON text as it arrived, or that text already compressed for storage (`packBatchText`). */
export type BatchBody = string | Uint8Array;

/** Rows as tuples, or as their JSON text when they come from a parser thread (passed on without decoding). */
export type BatchRows = EventRow[] | string;

export const rowsOf = (rows: BatchRows): EventRow[] =>
  typeof rows === 'string' ? (JSON.parse(rows) as EventRow[]) : rows;
export const rowsJsonOf = (rows: BatchRows): string => (typeof rows === 'string' ? rows : JSON.stringify(rows));

/**
 * One received request, `{"events":[...]}`, and a row for each valid event (`position` indexes `events`
 * in the body). The body is stored once; events are read back from it.
 */
export interface IngestBatch {
  body: BatchBody;
  rows: EventRow[];
  /** A compact batch's id prefix: its rows are keyed by sequence number. */
  idPrefix?: string;
}

/** The id of a row's event: as sent, or made from a compact batch's prefix and the event's sequence number. */
export const eventIdOfRow = (row: EventRow, idPrefix: string | undefined): string =>
  typeof row[0] === 'number' ? eventIdOf(idPrefix ?? '', row[0]) : row[0];

/** A batch on its way to the writer. */
export interface AcceptedBatch {
  body: BatchBody;
  rows: BatchRows;
  /** How many rows (valid events). */
  count: number;
  /** A compact batch's id prefix (`IngestBatch.idPrefix`). */
  idPrefix?: string;
}

/** An event refused by its position in the request body, and why. */
export interface Rejection {
  index: number;
  reason: string;
}

export interface BatchResult {
  inserted: number;
  /** Repeats of events already stored (retries): ignored, and acknowledged. */
  duplicates: number;
  /** Events whose id was already used by a different event: refused. */
  conflicts?: Rejection[];
}
