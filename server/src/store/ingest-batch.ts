/**
 * What the store needs of one validated event: the columns it indexes, and where the event sits in
 * the batch text. `[id, traceId, kind, service, span, upstreamSpan, timestamp, position]`.
 * A tuple (not an object) because batches cross to the writer thread by structured clone.
 */
export type EventRow = [id: string, traceId: string, kind: string, service: string, span: string | null, upstreamSpan: string | null, timestamp: string, position: number];

/**
 * One received request: its JSON text as it arrived, `{"events":[...]}`, and a row for each valid event
 * (`position` indexes `events` in the text). The text is stored once; events are read back from it.
 */
export interface IngestBatch {
  text: string;
  rows: EventRow[];
  /** The text already compressed for storage (`packBatchText`), when a parser thread did it. */
  packed?: Uint8Array;
}

/**
 * A batch on its way to the writer: its rows as tuples (parsed on this thread) or still as JSON text
 * (from a parser thread, passed on to a writer thread without being decoded here).
 */
export interface AcceptedBatch {
  text: string;
  packed?: Uint8Array;
  count: number;
  rows?: EventRow[];
  rowsJson?: string;
}

export const rowsOf = (batch: AcceptedBatch): EventRow[] => batch.rows ?? (JSON.parse(batch.rowsJson ?? '[]') as EventRow[]);
export const rowsJsonOf = (batch: AcceptedBatch): string => batch.rowsJson ?? JSON.stringify(batch.rows ?? []);

export interface BatchResult {
  inserted: number;
  duplicates: number;
}
