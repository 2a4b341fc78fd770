import type { EventRow } from './ingest-batch.js';
import type { StoredEvent } from './event-store.js';

import { CLOCK_FOLD_EVENT, DROPPED_EVENT } from '@raceway/protocol';

// The `Custom` events in which our SDK reports traces it dropped or cut short, and clock folds.
export { CLOCK_FOLD_EVENT, DROPPED_EVENT };

/** The stored kind of an event: its variant's name, or the name of one of our SDK's own reports. */
export function rowKindOf(kindPayload: Record<string, unknown>): string {
  let kind = 'Unknown';
  for (const name in kindPayload) {
    kind = name;
    break;
  }
  // Our SDK's report of what it did not send gets a kind of its own, so the analysis can ask for it alone.
  // So does a clock fold, which the analysis needs to order events whose clocks dropped components.
  if (kind === 'Custom') {
    const name = (kindPayload.Custom as { name?: unknown } | undefined)?.name;
    if (name === DROPPED_EVENT || name === CLOCK_FOLD_EVENT) kind = name;
  }
  return kind;
}

/** The stored columns of a validated wire event at `position` in its batch. */
export function toEventRow(event: StoredEvent, position: number): EventRow {
  const meta = event.metadata as unknown as Record<string, unknown>;
  return [
    event.id,
    event.trace_id,
    rowKindOf(event.kind),
    typeof meta.service_name === 'string' ? meta.service_name : 'unknown',
    typeof meta.distributed_span_id === 'string' ? meta.distributed_span_id : null,
    typeof meta.upstream_span_id === 'string' ? meta.upstream_span_id : null,
    event.timestamp,
    position,
  ];
}
