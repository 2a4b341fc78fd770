import type {
  CompactBatch,
  CompactEvent,
  CompactRun,
  CompactRunsBatch,
  CompactTask,
  CompactTrace,
  CompactVersion,
} from '@raceway/protocol';
import { ACCESS_TYPES, COMPACT_BATCH_VERSION, COMPACT_RUNS_VERSION } from '@raceway/protocol';
import type { VectorClock } from '../clock/vector-clock.js';
import { processTag } from '../context/process-identity.js';
import { state } from '../context/process-state.js';
import type { Task, TraceInfo } from '../context/task.js';
import { traceIdToUuid } from '../propagation/ids.js';
import type { EventRecord, RecordSource } from '../record/event-record.js';
import { capturedToJson } from '../record/values.js';
import type { Redactor, ServiceIdentity } from './wire-event.js';
import { kindPayload, REDACTED, SDK_TAGS } from './wire-event.js';

/** The lock set of most events, shared (JSON.stringify writes it out each time). */
const NO_LOCKS: number[] = [];

const ACCESS_INDEX = new Map<string, number>(ACCESS_TYPES.map((a, i) => [a, i]));

/** Where version 2 runs are written before being copied out at their length (reused by every batch). */
const RUN_SCRATCH: unknown[] = [];

/**
 * Records → one compact batch (`@raceway/protocol`'s compact-batch): per-batch tables of the strings,
 * traces, tasks and clock snapshots the events share, and the events, one short array each (version 1) or
 * in runs that state what consecutive events of a task share once (version 2). Sent only to a collector
 * that said it reads that version; the server decodes it to exactly the events `toWireEventJson` makes.
 */
export function encodeCompactBatch(
  records: RecordSource,
  identity: ServiceIdentity,
  redactor: Redactor,
  version: CompactVersion = COMPACT_RUNS_VERSION,
): string {
  const strings: string[] = [];
  const stringIndex = new Map<string, number>();
  const str = (text: string): number => {
    let i = stringIndex.get(text);
    if (i === undefined) {
      i = strings.push(text) - 1;
      stringIndex.set(text, i);
    }
    return i;
  };
  const traces: CompactTrace[] = [];
  const traceIndex = new Map<TraceInfo, number>();
  const tasks: CompactTask[] = [];
  const taskIndex = new Map<Task, number>();
  const clocks: number[][] = [];
  const clockIndex = new Map<VectorClock, number>();
  const t0 = records.length > 0 ? Math.round(records.at(0)!.time * 1000) : 0;

  /** The fields an event shares with the others of its run: `[seq, task, prev_seq, segment, dt_us, clock, locks, component]`. */
  const header = (r: EventRecord): CompactRun => {
    let task = taskIndex.get(r.task);
    if (task === undefined) {
      const trace = r.task.trace;
      let t = traceIndex.get(trace);
      if (t === undefined) {
        t = traces.push([traceIdToUuid(trace.traceId), trace.spanId, trace.upstreamSpanId ?? null]) - 1;
        traceIndex.set(trace, t);
      }
      const { id, parentId, unit, traced } = r.task;
      task = tasks.push([str(id), parentId === undefined ? -1 : str(parentId), str(unit), traced ? 1 : 0, t]) - 1;
      taskIndex.set(r.task, task);
    }
    let clock = clockIndex.get(r.clock);
    if (clock === undefined) {
      const flat: number[] = [];
      for (const [component, n] of r.clock.toPairs()) flat.push(str(component), n);
      clock = clocks.push(flat) - 1;
      clockIndex.set(r.clock, clock);
    }
    return [
      r.seq,
      task,
      r.prevSeq,
      r.segment,
      Math.round(r.time * 1000) - t0,
      clock,
      r.locks.length === 0 ? NO_LOCKS : r.locks.map(str),
      r.component === r.task.id ? -1 : str(r.component),
    ];
  };

  const base = {
    id_prefix: state.eventIdPrefix,
    process: processTag,
    process_id: process.pid,
    service_name: identity.serviceName,
    environment: identity.environment,
    instance_id: identity.instanceId,
    tags: SDK_TAGS,
    strings,
    traces,
    tasks,
    clocks,
    t0,
  };
  if (version === COMPACT_BATCH_VERSION) {
    const events: CompactEvent[] = [];
    for (let i = 0; i < records.length; i++) {
      const r = records.at(i)!;
      events.push([
        ...(header(r) as [number, number, number, number, number, number, number[], number]),
        (r.kind === 'StateChange' && stateChange(r, redactor, str)) || kindPayload(r, redactor),
      ]);
    }
    const batch: CompactBatch = { raceway_batch: COMPACT_BATCH_VERSION, ...base, events };
    return JSON.stringify(batch);
  }

  // Each run is written into one scratch array and copied out at its exact length when it ends: pushing
  // onto the run itself reallocated it as it grew, most of the encoder's garbage.
  const runs: CompactRun[] = [];
  const run = RUN_SCRATCH;
  let k = 0;
  let used = 0;
  let last: EventRecord | undefined;
  try {
    for (let i = 0; i < records.length; i++) {
      // A window on the queue reuses two records in turn: `last` stays valid while `r` is read.
      const r = records.at(i)!;
      if (k === 0 || !continuesRun(last!, r)) {
        if (k > 0) runs.push(run.slice(0, k) as CompactRun);
        if (k > used) used = k;
        const fields = header(r);
        for (k = 0; k < fields.length; k++) run[k] = fields[k];
      }
      const end = r.kind === 'StateChange' ? flatStateChange(r, redactor, str, run, k) : k;
      if (end === k) run[k++] = kindPayload(r, redactor);
      else k = end;
      last = r;
    }
    if (k > 0) runs.push(run.slice(0, k) as CompactRun);
  } finally {
    // The scratch must not keep this batch's values alive.
    run.fill(undefined, 0, Math.max(used, k));
  }
  const batch: CompactRunsBatch = { raceway_batch: COMPACT_RUNS_VERSION, ...base, runs };
  return JSON.stringify(batch);
}

/** Whether `r` is the next event of `last`'s run: the one the same task recorded next, sharing every header field. */
function continuesRun(last: EventRecord, r: EventRecord): boolean {
  return (
    r.task === last.task &&
    r.seq === last.seq + 1 &&
    r.prevSeq === last.seq &&
    r.clock === last.clock &&
    r.segment === last.segment &&
    r.time === last.time &&
    r.component === last.component &&
    sameLocks(r.locks, last.locks)
  );
}

function sameLocks(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Writes a state change into a run at `at` as `code, variable, location, old[, new]` (code: access × 2,
 * + 1 when the new value follows); returns where the next item goes, or `at` for an access type not in
 * the list (it goes as a standard object).
 */
function flatStateChange(
  r: EventRecord,
  redactor: Redactor,
  str: (text: string) => number,
  run: unknown[],
  at: number,
): number {
  const access = ACCESS_INDEX.get(r.detail as string);
  if (access === undefined) return at;
  // Written in index order: a store past the end would leave a hole, and JSON.stringify reads an array
  // with holes element by element through property lookups (several times slower), the scratch's copies too.
  if (redactor.redacts(r.name)) {
    run[at] = access * 2;
    run[at + 1] = str(r.name);
    run[at + 2] = str(r.location);
    run[at + 3] = REDACTED;
    return at + 4;
  }
  const oldValue = capturedToJson(r.oldValue);
  const newValue = capturedToJson(r.newValue);
  // A read carries one value: written once. `undefined` is sent as null, as in standard events.
  const both = newValue !== oldValue;
  run[at] = both ? access * 2 + 1 : access * 2;
  run[at + 1] = str(r.name);
  run[at + 2] = str(r.location);
  run[at + 3] = oldValue ?? null;
  if (!both) return at + 4;
  run[at + 4] = newValue ?? null;
  return at + 5;
}

/** A state change as `[access, variable, location, old, new?]`; undefined for an access type not in the list. */
function stateChange(r: EventRecord, redactor: Redactor, str: (text: string) => number): CompactEvent[8] | undefined {
  const access = ACCESS_INDEX.get(r.detail as string);
  if (access === undefined) return undefined;
  const name = str(r.name);
  const location = str(r.location);
  if (redactor.redacts(r.name)) return [access, name, location, REDACTED];
  const oldValue = capturedToJson(r.oldValue);
  const newValue = capturedToJson(r.newValue);
  // A read carries one value: written once. `undefined` is sent as null, as in standard events.
  return newValue === oldValue
    ? [access, name, location, oldValue ?? null]
    : [access, name, location, oldValue ?? null, newValue ?? null];
}
