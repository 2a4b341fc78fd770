import type { Access } from './access.js';

/** A stored wire event (only the parts the detector reads). */
export interface WireEvent {
  id: string;
  trace_id: string;
  timestamp: string;
  kind: Record<string, Record<string, unknown>>;
  metadata: { thread_id: string; service_name?: string; instance_id?: string; process_id?: number };
  causality_vector: Array<[string, number]>;
  lock_set: string[];
  raceway?: { seq?: number; process?: string; task?: string; unit?: string; segment?: number; time_us?: number };
}

const WRITES = new Set(['Write', 'AtomicWrite', 'AtomicRMW']);

/**
 * StateChange events → accesses. Events from SDKs without our causality block get conservative
 * defaults: the thread is the task and the unit, every event is its own segment.
 */
export function accessesFrom(events: Iterable<WireEvent>): Access[] {
  const out: Access[] = [];
  let arrival = 0;
  for (const e of events) {
    arrival++;
    const change = e.kind.StateChange;
    if (!change) continue;
    const r = e.raceway;
    const service = e.metadata.service_name ?? 'unknown';
    const process = r?.process ?? `${service}#${e.metadata.instance_id ?? e.metadata.process_id ?? '?'}`;
    const task = r?.task ?? e.metadata.thread_id;
    const write = WRITES.has(String(change.access_type));
    out.push({
      index: 0,
      eventId: e.id,
      traceId: e.trace_id,
      service,
      process,
      seq: r?.seq ?? arrival,
      task,
      unit: r?.unit ?? task,
      unitKey: `${process}|${r?.unit ?? task}`,
      segment: r?.segment !== undefined ? `${process}:${r.segment}` : `event:${e.id}`,
      time: r?.time_us !== undefined ? r.time_us / 1000 : Date.parse(e.timestamp),
      clock: new Map(e.causality_vector),
      variable: String(change.variable),
      write,
      value: change.new_value,
      oldValue: change.old_value,
      location: String(change.location ?? ''),
      locks: e.lock_set ?? [],
    });
  }
  return out;
}
