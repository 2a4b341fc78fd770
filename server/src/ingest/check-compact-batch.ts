import { Ajv } from 'ajv';
import type { CompactBatch, CompactEvent } from '@raceway/protocol';
import {
  ACCESS_TYPES,
  COMPACT_BATCH_VERSION,
  COMPACT_RUNS_VERSION,
  COMPACT_VERSIONS,
  CompactRunsError,
  eventSchema,
  eventsOfRuns,
  FIELD_LIMITS,
  MAX_VALUE_DEPTH,
  timestampOf,
} from '@raceway/protocol';
import { nestsDeeperThan } from '../analysis/value-summary.js';
import { rowKindOf } from '../store/event-row.js';
import type { EventRow, Rejection } from '../store/ingest-batch.js';
import { runRows } from '../store/ingest-batch.js';

const ajv = new Ajv({ allErrors: false, strict: false });
/** The standard schema of `kind`, for the events a compact batch carries as standard objects. */
const checkKind = ajv.compile(eventSchema.properties.kind);

const ID_PREFIX = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-$/;
const TRACE_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** The last millisecond an RFC 3339 timestamp can name (year 9999). */
const MAX_TIME_MS = 253_402_300_799_999;
const MAX_TAGS = 64;

/** Why a batch is refused whole: its header or tables, which every event depends on. */
export class CompactBatchError extends Error {
  constructor(what: string) {
    super(`invalid compact batch: ${what}`);
  }
}

/** A value named in an error message: short, whatever was sent. */
const describe = (v: unknown): string =>
  typeof v === 'number' || typeof v === 'boolean' || v === null
    ? String(v)
    : typeof v === 'string'
      ? JSON.stringify(v.slice(0, 40))
      : typeof v;

const isInt = (v: unknown, min = -Number.MAX_SAFE_INTEGER): v is number =>
  Number.isSafeInteger(v) && (v as number) >= min;
const isText = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max;

/**
 * Checks a parsed compact batch to the same limits as standard events (FIELD_LIMITS, value depth, kind
 * schemas), and makes the stored row of each event from the tables, without building the events. The
 * header and tables are checked once (a fault there refuses the batch); each event alone (a fault refuses
 * that event by its index). `rows` are run rows (`runRows`); `count` is how many events they stand for.
 */
export function checkCompactBatch(body: Record<string, unknown>): {
  rows: EventRow[];
  count: number;
  rejected: Rejection[];
  idPrefix: string;
} {
  const version = body.raceway_batch;
  if (version !== COMPACT_BATCH_VERSION && version !== COMPACT_RUNS_VERSION)
    throw new CompactBatchError(
      `compact batch version ${describe(version)} is not read here (this server reads ${COMPACT_VERSIONS.join(' and ')})`,
    );
  const batch = body as unknown as CompactBatch;
  // Version 2 carries its events in runs: read as the version 1 events they stand for, checked alike.
  let events: CompactEvent[] | undefined = batch.events;
  if (version === COMPACT_RUNS_VERSION) {
    try {
      events = eventsOfRuns(body.runs);
    } catch (error) {
      if (error instanceof CompactRunsError) throw new CompactBatchError(error.message);
      throw error;
    }
  }
  const header: Array<[keyof CompactBatch, boolean]> = [
    ['id_prefix', typeof batch.id_prefix === 'string' && ID_PREFIX.test(batch.id_prefix)],
    ['process', isText(batch.process, FIELD_LIMITS.label)],
    ['process_id', isInt(batch.process_id)],
    ['service_name', isText(batch.service_name, FIELD_LIMITS.label)],
    ['environment', isText(batch.environment, FIELD_LIMITS.label)],
    ['instance_id', isText(batch.instance_id, FIELD_LIMITS.label)],
    ['tags', checkTags(batch.tags)],
    ['strings', Array.isArray(batch.strings) && batch.strings.every((s) => isText(s, FIELD_LIMITS.location))],
    ['t0', typeof batch.t0 === 'number' && Number.isFinite(batch.t0)],
    [version === COMPACT_RUNS_VERSION ? ('runs' as keyof CompactBatch) : 'events', Array.isArray(events)],
  ];
  for (const [field, ok] of header) if (!ok) throw new CompactBatchError(`/${field} is invalid`);
  const { strings } = batch;
  const str = (i: unknown, max: number) => isInt(i, 0) && i < strings.length && strings[i]!.length <= max;

  if (!Array.isArray(batch.traces)) throw new CompactBatchError('/traces must be an array');
  batch.traces.forEach((t, i) => {
    if (
      !Array.isArray(t) ||
      t.length !== 3 ||
      typeof t[0] !== 'string' ||
      !TRACE_UUID.test(t[0]) ||
      !isText(t[1], 64) ||
      !(t[2] === null || isText(t[2], 64))
    )
      throw new CompactBatchError(`/traces/${i} is invalid`);
  });
  if (!Array.isArray(batch.tasks)) throw new CompactBatchError('/tasks must be an array');
  batch.tasks.forEach((t, i) => {
    if (
      !Array.isArray(t) ||
      t.length !== 5 ||
      !str(t[0], FIELD_LIMITS.label) ||
      !(t[1] === -1 || str(t[1], FIELD_LIMITS.label)) ||
      !str(t[2], FIELD_LIMITS.label) ||
      (t[3] !== 0 && t[3] !== 1) ||
      !(isInt(t[4], 0) && t[4] < batch.traces.length)
    )
      throw new CompactBatchError(`/tasks/${i} is invalid`);
  });
  if (!Array.isArray(batch.clocks)) throw new CompactBatchError('/clocks must be an array');
  batch.clocks.forEach((c, i) => {
    const ok =
      Array.isArray(c) &&
      c.length % 2 === 0 &&
      c.every((v, k) => (k % 2 === 0 ? str(v, FIELD_LIMITS.label) : isInt(v)));
    if (!ok) throw new CompactBatchError(`/clocks/${i} is invalid`);
  });

  const rows: EventRow[] = [];
  const rejected: Rejection[] = [];
  // An event is identified by the batch's id prefix and its sequence number: one number twice in a batch
  // would be two events under one id. Our SDK's numbers rise within a batch, so the set is rarely built.
  let highest = 0;
  let taken: Set<unknown> | undefined;
  events!.forEach((event, index) => {
    const reason = checkEvent(event, batch, str);
    if (reason) {
      rejected.push({ index, reason });
      return;
    }
    const [seq, task, , , dtUs, , , , kind] = event;
    if (seq > highest) {
      highest = seq;
      taken?.add(seq);
    } else {
      taken ??= new Set(rows.map((r) => r[0]));
      if (taken.has(seq)) {
        rejected.push({ index, reason: `/seq ${seq} is the sequence number of an earlier event in this batch` });
        return;
      }
      taken.add(seq);
    }
    const trace = batch.traces[batch.tasks[task]![4]]!;
    rows.push([
      seq,
      trace[0],
      Array.isArray(kind) ? 'StateChange' : rowKindOf(kind),
      batch.service_name,
      trace[1],
      trace[2],
      timestampOf(batch.t0 + dtUs),
      index,
    ]);
  });
  // Rows cross two threads to the writer: a run of a task's events goes as one.
  return { rows: runRows(rows), count: rows.length, rejected, idPrefix: batch.id_prefix };
}

function checkTags(tags: unknown): boolean {
  if (tags === null || typeof tags !== 'object' || Array.isArray(tags)) return false;
  const entries = Object.entries(tags);
  return (
    entries.length <= MAX_TAGS &&
    entries.every(([k, v]) => k.length <= FIELD_LIMITS.label && isText(v, FIELD_LIMITS.label))
  );
}

/** undefined when the event is valid, else a one-line reason (as for standard events). */
function checkEvent(
  event: unknown,
  batch: CompactBatch,
  str: (i: unknown, max: number) => boolean,
): string | undefined {
  if (!Array.isArray(event) || event.length !== 9)
    return 'a compact event is [seq, task, prev_seq, segment, dt_us, clock, locks, component, kind]';
  const [seq, task, prevSeq, segment, dtUs, clock, locks, component, kind] = event as unknown[];
  if (!isInt(seq, 1)) return '/seq must be a positive integer';
  if (!isInt(task, 0) || task >= batch.tasks.length) return '/task must index /tasks';
  if (!isInt(prevSeq, 0)) return '/prev_seq must be an integer >= 0';
  if (!isInt(segment)) return '/segment must be an integer';
  if (typeof dtUs !== 'number' || !Number.isFinite(dtUs)) return '/dt_us must be a number';
  const timeMs = (batch.t0 + dtUs) / 1000;
  if (!(timeMs >= 0 && timeMs <= MAX_TIME_MS)) return '/dt_us puts the event outside the years 1970-9999';
  if (!isInt(clock, 0) || clock >= batch.clocks.length) return '/clock must index /clocks';
  if (!Array.isArray(locks) || !locks.every((l) => str(l, FIELD_LIMITS.name))) return '/locks must index /strings';
  if (component !== -1 && !str(component, FIELD_LIMITS.label)) return '/component must be -1 or index /strings';
  if (Array.isArray(kind)) {
    if (kind.length !== 4 && kind.length !== 5)
      return '/kind: a state change is [access, variable, location, old, new?]';
    const [access, variable, location, oldValue, newValue] = kind as unknown[];
    if (!isInt(access, 0) || access >= ACCESS_TYPES.length) return '/kind/0 must index the access types';
    if (!str(variable, FIELD_LIMITS.name)) return '/kind/1 must index /strings (a variable name)';
    if (!str(location, FIELD_LIMITS.location)) return '/kind/2 must index /strings (a location)';
    // The limits a standard event puts on the same value: event → kind → variant → value.
    if (nestsDeeperThan(oldValue, MAX_VALUE_DEPTH + 1) || nestsDeeperThan(newValue, MAX_VALUE_DEPTH + 1))
      return `a value nests deeper than ${MAX_VALUE_DEPTH} levels`;
    return undefined;
  }
  if (!checkKind(kind)) {
    const e = checkKind.errors?.[0];
    return `/kind${e?.instancePath ?? ''} ${e?.message ?? 'is invalid'}`;
  }
  if (nestsDeeperThan(kind, MAX_VALUE_DEPTH + 3)) return `a value nests deeper than ${MAX_VALUE_DEPTH} levels`;
  return undefined;
}
