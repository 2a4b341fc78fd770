import type { EventRow } from './ingest-batch.js';
import type { StoredEvent } from './event-store.js';

/** The stored columns of a validated wire event at `position` in its batch. */
export function toEventRow(event: StoredEvent, position: number): EventRow {
  const meta = event.metadata as Record<string, unknown>;
  let kind = 'Unknown';
  for (const name in event.kind) {
    kind = name;
    break;
  }
  return [
    event.id,
    event.trace_id,
    kind,
    typeof meta.service_name === 'string' ? meta.service_name : 'unknown',
    typeof meta.distributed_span_id === 'string' ? meta.distributed_span_id : null,
    typeof meta.upstream_span_id === 'string' ? meta.upstream_span_id : null,
    event.timestamp,
    position,
  ];
}
