import type { WireEvent } from '@raceway/protocol';
import type { AnalysisService } from '../analysis/service.js';
import { toReport } from '../analysis/report.js';
import type { RaceReport } from '../analysis/report.js';
import { boundDepth } from '../analysis/value-summary.js';
import { MAX_VALUE_DEPTH } from '../ingest/validate-event.js';
import type { EventStore, StoredEvent } from '../store/event-store.js';

/** One task of a trace, as the trace view draws it. */
export interface TraceTask {
  task: string;
  service: string;
  parentTask: string | null;
  unit: string;
  events: number;
}

/** One access in a variable's audit trail. */
export interface AuditEntry {
  eventId: string;
  access: string;
  value: unknown;
  location: string;
  task: string;
  service: string;
}

/** `GET /api/traces/:id`: the trace's events in causal order, its tasks, each variable's accesses and races. */
export interface TraceDetail {
  traceId: string;
  events: WireEvent[];
  tasks: TraceTask[];
  auditTrails: Record<string, AuditEntry[]>;
  races: RaceReport['races'];
}

/** A trace id with or without dashes, as stored (lowercase comes from the store's lookup). */
export function normaliseTraceId(id: string): string {
  return id.replace(/^([0-9a-f]{8})([0-9a-f]{4})([0-9a-f]{4})([0-9a-f]{4})([0-9a-f]{12})$/i, '$1-$2-$3-$4-$5');
}

/** The detail of one trace, or undefined when the store has no event of it. */
export async function traceDetail(
  store: EventStore,
  analysis: AnalysisService,
  id: string,
  sourceRoot?: string,
): Promise<TraceDetail | undefined> {
  // Events stored by an older server may nest deeper than JSON can be written back: bounded for the reply.
  const events = (await store.traceEvents(normaliseTraceId(id))).map(
    (e) => boundDepth(e, MAX_VALUE_DEPTH + 8) as StoredEvent,
  );
  if (events.length === 0) return undefined;
  // Causal order: by each event's time, then per-process sequence.
  const ordered = [...events].sort((a, b) => {
    const ta = a.raceway?.time_us ?? Date.parse(a.timestamp) * 1000;
    const tb = b.raceway?.time_us ?? Date.parse(b.timestamp) * 1000;
    return ta - tb || (a.raceway?.seq ?? 0) - (b.raceway?.seq ?? 0);
  });
  const tasks = new Map<string, TraceTask>();
  const audit = new Map<string, AuditEntry[]>();
  for (const e of ordered) {
    const task = e.raceway?.task ?? e.metadata.thread_id;
    const service = e.metadata.service_name ?? 'unknown';
    const t = tasks.get(task) ?? {
      task,
      service,
      parentTask: e.raceway?.parent_task ?? null,
      unit: e.raceway?.unit ?? task,
      events: 0,
    };
    t.events++;
    tasks.set(task, t);
    const change = e.kind.StateChange;
    if (change) {
      const variable = String(change.variable);
      const list = audit.get(variable) ?? [];
      list.push({
        eventId: e.id,
        access: String(change.access_type),
        value: change.new_value,
        location: String(change.location ?? ''),
        task,
        service,
      });
      audit.set(variable, list);
    }
  }
  const traceId = events[0]!.trace_id;
  const races = toReport((await analysis.forTrace(traceId)).races, await store.counts(), sourceRoot).races;
  return { traceId, events: ordered, tasks: [...tasks.values()], auditTrails: Object.fromEntries(audit), races };
}
