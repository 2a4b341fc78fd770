/**
 * What the store needs of one validated event: the columns it indexes, and where the event sits in
 * the batch text. `[id, traceId, kind, service, span, upstreamSpan, timestamp, position]`.
 * A tuple (not an object) because batches cross to the writer thread by structured clone.
 */
export type EventRow = [
  id: string,
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
}

/** A batch on its way to the writer. */
export interface AcceptedBatch {
  body: BatchBody;
  rows: BatchRows;
  /** How many rows (valid events). */
  count: number;
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
