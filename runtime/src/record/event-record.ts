import type { VectorClock } from '../clock/vector-clock.js';
import type { Task } from '../context/task.js';

export type AccessType = 'Read' | 'Write' | 'AtomicRead' | 'AtomicWrite' | 'AtomicRMW';

/** The `Custom` event that carries a clock fold (see context/causality.ts). */
export { CLOCK_FOLD_EVENT } from '@raceway/protocol';

export type EventKind =
  | 'StateChange'
  | 'FunctionCall'
  | 'FunctionReturn'
  | 'HttpRequest'
  | 'HttpResponse'
  | 'LockAcquire'
  | 'LockRelease'
  | 'Error'
  | 'Custom';

/**
 * One recorded fact in its compact, in-memory form. Everything costly (ids, timestamps as text,
 * JSON) is derived from it later, off the application's path, by the exporter.
 * Field meaning per kind:
 *  - StateChange: name = variable, detail = access type
 *  - FunctionCall: name = function, oldValue = args summary, detail = { module, file, line }
 *  - FunctionReturn: name = function, detail = { durationNs, ok }
 *  - HttpRequest / HttpResponse / Error / Custom: detail = the wire payload
 *  - LockAcquire / LockRelease: name = lock id, detail = lock type
 */
export class EventRecord {
  constructor(
    readonly seq: number,
    readonly kind: EventKind,
    readonly task: Task,
    readonly clock: VectorClock,
    /** The clock component the task advanced when this was recorded (its id unless it took one over). */
    readonly component: string,
    readonly segment: number,
    /** Epoch milliseconds (fractional). */
    readonly time: number,
    /** Sequence number of the previous event in this context; 0 for a root. */
    readonly prevSeq: number,
    readonly locks: readonly string[],
    readonly name: string,
    readonly oldValue: unknown,
    readonly newValue: unknown,
    readonly location: string,
    readonly detail: unknown,
  ) {}
}

/**
 * Records an encoder reads by position: an array of records, or a window on the exporter's queue whose
 * `at(k)` fills a reused record (valid until the next call but one).
 */
export interface RecordSource {
  readonly length: number;
  at(k: number): EventRecord | undefined;
  slice(from: number, to: number): RecordSource;
}

/** A record's fields in constructor order: what the hot path hands to a sink, without making an object. */
export type RecordFields = ConstructorParameters<typeof EventRecord>;

/** A record's fields in constructor order (to hand a record on to another sink). */
export function fieldsOf(r: EventRecord): RecordFields {
  return [
    r.seq,
    r.kind,
    r.task,
    r.clock,
    r.component,
    r.segment,
    r.time,
    r.prevSeq,
    r.locks,
    r.name,
    r.oldValue,
    r.newValue,
    r.location,
    r.detail,
  ];
}

/** Where records go: the batch exporter, or an in-memory sink. */
export interface EventSink {
  append(...fields: RecordFields): void;
}
