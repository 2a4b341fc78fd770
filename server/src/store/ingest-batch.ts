import { eventIdOf } from '@raceway/protocol';

/**
 * What the store needs of one validated event: the columns it indexes, and where the event sits in
 * the batch text. `[key, traceId, kind, service, span, upstreamSpan, timestamp, position, count?]`.
 * The key is the event's id, or, in a compact batch, its sequence number: the id is then the batch's id
 * prefix and that number (`eventIdOf`), and is never built on the way in.
 * A compact batch's row can stand for `count` consecutive events (`runRows`): sequence numbers `key` …
 * `key + count - 1` at positions `position` … `position + count - 1`, every other column the same.
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
  count?: number,
];

/** How many events `row` stands for. */
export const eventsIn = (row: EventRow): number => row[8] ?? 1;

/** How many events `rows` stand for. */
export function eventCount(rows: EventRow[]): number {
  let n = 0;
  for (const row of rows) n += eventsIn(row);
  return n;
}

/**
 * A compact batch's rows, one per event, with each run of consecutive events (the next sequence number at
 * the next position) that share every other column as one row with its `count`: a request handler's events
 * between two `await`s.
 */
export function runRows(rows: EventRow[]): EventRow[] {
  const out: EventRow[] = [];
  let head: EventRow | undefined;
  let count = 0;
  for (const row of rows) {
    if (
      head &&
      row[0] === (head[0] as number) + count &&
      row[7] === head[7] + count &&
      row[1] === head[1] &&
      row[2] === head[2] &&
      row[3] === head[3] &&
      row[4] === head[4] &&
      row[5] === head[5] &&
      row[6] === head[6]
    ) {
      count++;
      continue;
    }
    if (head) out.push(count === 1 ? head : withCount(head, count));
    head = row;
    count = 1;
  }
  if (head) out.push(count === 1 ? head : withCount(head, count));
  return out;
}

function withCount(row: EventRow, count: number): EventRow {
  const run: EventRow = [...row];
  run[8] = count;
  return run;
}

/** Run rows back as one row per event (the inverse of `runRows`). */
export function eventRows(rows: EventRow[]): EventRow[] {
  if (rows.every((row) => eventsIn(row) === 1)) return rows;
  const out: EventRow[] = [];
  for (const row of rows) {
    const count = eventsIn(row);
    if (count === 1) {
      out.push(row);
      continue;
    }
    for (let i = 0; i < count; i++) {
      const one = row.slice(0, 8) as EventRow;
      one[0] = (row[0] as number) + i;
      one[7] = row[7] + i;
      out.push(one);
    }
  }
  return out;
}

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
