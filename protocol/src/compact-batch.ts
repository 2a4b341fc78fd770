import type { AccessType, WireEvent } from './event.js';
import { ACCESS_TYPES, RACEWAY_BLOCK_VERSION } from './event.js';

/**
 * The compact batch: the events of one POST in a form without per-event repetition, spoken between this
 * SDK and this server only (the server advertises it; any other collector gets standard events). Still
 * JSON, so a body is read with one `JSON.parse` into arrays of numbers and short strings:
 *
 * - the process and service once per batch, and event ids derived from `id_prefix` and the sequence
 *   number (as the SDK makes them);
 * - tables, per batch, of the strings events repeat (variables, locations, task ids, lock ids, clock
 *   components), the traces, the tasks and the clock snapshots; events refer to rows by index;
 * - version 1 (`events`), per event: `[seq, task, prev_seq, segment, dt_us, clock, locks, component, kind]`,
 *   where `kind` is `[access, variable, location, old_value, new_value?]` for a state change (no
 *   `new_value`: the same as the old, as reads are) and the standard `{ "Variant": {...} }` object for
 *   every other event;
 * - version 2 (`runs`): the events one task recorded back to back (consecutive sequence numbers, each the
 *   previous one's successor, one segment, time, clock, lock set and component) share those fields once:
 *   `[seq, task, prev_seq, segment, dt_us, clock, locks, component, item, item, ...]`, where each item is
 *   one event, a state change written flat as `code, variable, location, old_value[, new_value]`
 *   (`code` = access × 2, + 1 when `new_value` follows) and any other event as its `{ "Variant": {...} }`
 *   object. Event k of a run has sequence number `seq + k`, and `prev_seq` from the second on is the event
 *   before it. A server-side request handler with no `await` records all of its events as one run.
 *
 * `decodeCompactBatch` gives back exactly the standard events the SDK would have sent.
 */
export const COMPACT_BATCH_VERSION = 1;
/** The compact form whose events go in runs (see above). */
export const COMPACT_RUNS_VERSION = 2;
/** The compact versions this package reads and writes, newest first. */
export const COMPACT_VERSIONS = [COMPACT_RUNS_VERSION, COMPACT_BATCH_VERSION] as const;
export type CompactVersion = (typeof COMPACT_VERSIONS)[number];

/** The reply header by which a collector says which batch forms it reads besides standard events. */
export const BATCH_FORMATS_HEADER = 'x-raceway-batch-formats';
/** The value naming a compact form in `BATCH_FORMATS_HEADER`. */
export const compactFormat = (version: CompactVersion): string => `compact-${version}`;
/** The value naming the first compact form in `BATCH_FORMATS_HEADER`. */
export const COMPACT_BATCH_FORMAT = compactFormat(COMPACT_BATCH_VERSION);
/** What a server that reads every compact form of this package says in `BATCH_FORMATS_HEADER`. */
export const COMPACT_FORMATS = COMPACT_VERSIONS.map(compactFormat).join(', ');

/**
 * The newest compact version a `BATCH_FORMATS_HEADER` value (a comma-separated list) names that this
 * package writes; undefined when it names none.
 */
export function newestCompactVersion(formats: string): CompactVersion | undefined {
  const named = new Set(formats.split(',').map((f) => f.trim().toLowerCase()));
  return COMPACT_VERSIONS.find((v) => named.has(compactFormat(v)));
}

/** `[trace_uuid, span_id, upstream_span_id]` */
export type CompactTrace = [trace: string, span: string, upstream: string | null];
/** `[id, parent, unit, traced, trace]`: ids are string indexes (`parent` -1: none); `trace` a trace index. */
export type CompactTask = [id: number, parent: number, unit: number, traced: 0 | 1, trace: number];
/** A state change: access type index, variable and location string indexes, the values. */
export type CompactStateChange = [
  access: number,
  variable: number,
  location: number,
  oldValue: unknown,
  newValue?: unknown,
];
/** `[seq, task, prev_seq, segment, dt_us, clock, locks, component]`: what a version 1 event starts with and a run's events share. */
type EventFields = [
  seq: number,
  task: number,
  prevSeq: number,
  segment: number,
  dtUs: number,
  clock: number,
  locks: number[],
  component: number,
];
/** `[seq, task, prev_seq, segment, dt_us, clock, locks, component, kind]` */
export type CompactEvent = [...fields: EventFields, kind: CompactStateChange | Record<string, unknown>];

/**
 * A run of events (version 2): the first event's `[seq, task, prev_seq, segment, dt_us, clock, locks,
 * component]`, then each event's items (see above).
 */
export type CompactRun = [...fields: EventFields, ...items: unknown[]];

/** The fields a run's events share: its length before the first item. */
export const RUN_HEADER_LENGTH = 8;

/** A batch's header and tables, the same in every version. */
interface CompactBatchBase {
  /** The fixed first part of the process's event ids, `xxxxxxxx-xxxx-8xxx-`. */
  id_prefix: string;
  process: string;
  process_id: number;
  service_name: string;
  environment: string;
  instance_id: string;
  tags: Record<string, string>;
  strings: string[];
  traces: CompactTrace[];
  tasks: CompactTask[];
  /** Each clock as flat pairs: component string index, count, component, count, … */
  clocks: number[][];
  /** The first event's `time_us`; events carry the difference. */
  t0: number;
}

export interface CompactBatch extends CompactBatchBase {
  raceway_batch: typeof COMPACT_BATCH_VERSION;
  events: CompactEvent[];
}

export interface CompactRunsBatch extends CompactBatchBase {
  raceway_batch: typeof COMPACT_RUNS_VERSION;
  runs: CompactRun[];
}

/** Why a version 2 batch's runs cannot be read as events (its items no longer say where an event ends). */
export class CompactRunsError extends Error {}

/**
 * The events of a version 2 batch in the version 1 form, in order: what the checks and the decoder read.
 * Only the layout is checked here (a run must be an array of its header and whole items); the fields are
 * copied as they came, for the same checks as version 1 events. Throws CompactRunsError.
 */
export function eventsOfRuns(runs: unknown): CompactEvent[] {
  if (!Array.isArray(runs)) throw new CompactRunsError('/runs must be an array');
  const events: CompactEvent[] = [];
  for (let r = 0; r < runs.length; r++) {
    const run: unknown = runs[r];
    if (!Array.isArray(run) || run.length <= RUN_HEADER_LENGTH)
      throw new CompactRunsError(
        `/runs/${r} must be [seq, task, prev_seq, segment, dt_us, clock, locks, component, event, ...]`,
      );
    const [seq, task, prevSeq, segment, dtUs, clock, locks, component] = run as CompactEvent;
    let k = 0;
    for (let i = RUN_HEADER_LENGTH; i < run.length; k++) {
      const item: unknown = run[i];
      let kind: CompactEvent[8];
      if (typeof item === 'number') {
        const withNew = (item & 1) === 1;
        const end = i + (withNew ? 5 : 4);
        if (!Number.isInteger(item) || item < 0 || item >= 2 * ACCESS_TYPES.length || end > run.length)
          throw new CompactRunsError(
            `/runs/${r}/${i} must be a state change: code (access × 2, + 1 with a new value), variable, location, old value[, new value]`,
          );
        kind = withNew
          ? [item >> 1, run[i + 1], run[i + 2], run[i + 3], run[i + 4]]
          : [item >> 1, run[i + 1], run[i + 2], run[i + 3]];
        i = end;
      } else if (item !== null && typeof item === 'object' && !Array.isArray(item)) {
        kind = item as Record<string, unknown>;
        i++;
      } else throw new CompactRunsError(`/runs/${r}/${i} must be a state change code or an event kind object`);
      events.push([
        typeof seq === 'number' ? seq + k : seq,
        task,
        k === 0 ? prevSeq : typeof seq === 'number' ? seq + k - 1 : prevSeq,
        segment,
        dtUs,
        clock,
        locks,
        component,
        kind,
      ]);
    }
  }
  return events;
}

/** Whether a parsed body is a compact batch (of any version: the reader refuses versions it does not know). */
export function isCompactBatch(body: unknown): body is { raceway_batch: unknown } {
  return body !== null && typeof body === 'object' && 'raceway_batch' in body;
}

/** The event id for a sequence number under an id prefix: 60 bits of sequence after the variant nibble. */
export function eventIdOf(prefix: string, seq: number): string {
  const s = seq.toString(16).padStart(15, '0');
  return `${prefix}8${s.slice(0, 3)}-${s.slice(3)}`;
}

/** A trace id's UUID form (32 hex digits → 8-4-4-4-12). */
export function traceUuidOf(hex32: string): string {
  return `${hex32.slice(0, 8)}-${hex32.slice(8, 12)}-${hex32.slice(12, 16)}-${hex32.slice(16, 20)}-${hex32.slice(20)}`;
}

const lastTimestamp = { ms: NaN, text: '' };

/** An event's `timestamp` from its `time_us`: the millisecond it falls in (the events of a batch share a few). */
export function timestampOf(timeUs: number): string {
  const ms = Math.floor(timeUs / 1000);
  if (ms !== lastTimestamp.ms) {
    lastTimestamp.text = new Date(ms).toISOString();
    lastTimestamp.ms = ms;
  }
  return lastTimestamp.text;
}

/**
 * The standard events of a compact batch whose header and tables were checked, by position. An event the
 * server refused at ingest (a bad index, say) may not decode: its position holds undefined. Objects are
 * made fresh for each event except values, which events of one batch may share.
 */
export function decodeCompactBatch(batch: CompactBatch | CompactRunsBatch): Array<WireEvent | undefined> {
  const { strings } = batch;
  const events = batch.raceway_batch === COMPACT_RUNS_VERSION ? eventsOfRuns(batch.runs) : batch.events;
  const metadata = batch.tasks.map(([id, , , , trace]) => {
    const [, span, upstream] = batch.traces[trace]!;
    return {
      thread_id: strings[id]!,
      process_id: batch.process_id,
      service_name: batch.service_name,
      environment: batch.environment,
      tags: batch.tags,
      instance_id: batch.instance_id,
      distributed_span_id: span,
      upstream_span_id: upstream,
    };
  });
  const clocks = batch.clocks.map((flat) => {
    const pairs: Array<[string, number]> = [];
    for (let i = 0; i < flat.length; i += 2) pairs.push([strings[flat[i]!]!, flat[i + 1]!]);
    return pairs;
  });
  return events.map((event) => {
    try {
      return decodeEvent(event);
    } catch {
      return undefined;
    }
  });

  // Indexed reads and object literals of fixed shapes: decoding makes every object a standard event has,
  // as JSON.parse of the standard text would, so its own garbage is kept to that.
  function decodeEvent(event: CompactEvent): WireEvent {
    const seq = event[0];
    const taskIndex = event[1];
    const prevSeq = event[2];
    const component = event[7];
    const kind = event[8];
    const task = batch.tasks[taskIndex]!;
    const parent = task[1];
    const timeUs = batch.t0 + event[4];
    const raceway: NonNullable<WireEvent['raceway']> =
      component >= 0
        ? {
            v: RACEWAY_BLOCK_VERSION,
            seq,
            process: batch.process,
            task: strings[task[0]]!,
            parent_task: parent < 0 ? null : strings[parent]!,
            unit: strings[task[2]]!,
            traced: task[3] === 1,
            component: strings[component]!,
            segment: event[3],
            time_us: timeUs,
          }
        : {
            v: RACEWAY_BLOCK_VERSION,
            seq,
            process: batch.process,
            task: strings[task[0]]!,
            parent_task: parent < 0 ? null : strings[parent]!,
            unit: strings[task[2]]!,
            traced: task[3] === 1,
            segment: event[3],
            time_us: timeUs,
          };
    const pairs = clocks[event[5]]!;
    const vector = new Array<[string, number]>(pairs.length);
    for (let i = 0; i < pairs.length; i++) vector[i] = [pairs[i]![0], pairs[i]![1]];
    const locks = event[6];
    const lockSet = new Array<string>(locks.length);
    for (let i = 0; i < locks.length; i++) lockSet[i] = strings[locks[i]!]!;
    return {
      id: eventIdOf(batch.id_prefix, seq),
      trace_id: batch.traces[task[4]]![0],
      parent_id: prevSeq > 0 ? eventIdOf(batch.id_prefix, prevSeq) : null,
      timestamp: timestampOf(timeUs),
      kind: Array.isArray(kind) ? { StateChange: stateChangeOf(kind, strings) } : (kind as WireEvent['kind']),
      metadata: metadataOf(metadata[taskIndex]!, batch.tags),
      causality_vector: vector,
      lock_set: lockSet,
      raceway,
    };
  }
}

/** A task's metadata, fresh for one event: a literal of a fixed shape (a spread per event was most of decoding's garbage). */
function metadataOf(m: WireEvent['metadata'], tags: Record<string, string>): WireEvent['metadata'] {
  return {
    thread_id: m.thread_id,
    process_id: m.process_id,
    service_name: m.service_name,
    environment: m.environment,
    tags: { ...tags },
    instance_id: m.instance_id,
    distributed_span_id: m.distributed_span_id,
    upstream_span_id: m.upstream_span_id,
  };
}

function stateChangeOf(kind: CompactStateChange, strings: readonly string[]): Record<string, unknown> {
  const [access, variable, location, oldValue] = kind;
  return {
    variable: strings[variable]!,
    old_value: oldValue,
    new_value: kind.length > 4 ? kind[4] : oldValue,
    location: strings[location]!,
    access_type: ACCESS_TYPES[access] as AccessType,
  };
}
