import type { EventRow } from './ingest-batch.js';

/** The stored columns an event arriving again under a used id is compared on. */
export interface StoredId {
  id: string;
  /** normalised (`normalizeTraceId`) */
  trace_id: string;
  kind: string;
  service: string;
  ts: string;
}

/**
 * Why an event under an id already stored is refused, or undefined when it is the same event sent again (a
 * retry, acknowledged as a duplicate). `trace` is the row's trace id, normalised.
 */
export function conflictReason(prior: StoredId, trace: string, row: EventRow, id: string): string | undefined {
  const [, , kind, service, , , ts] = row;
  const differs = [
    prior.trace_id !== trace && 'trace_id',
    prior.kind !== kind && 'kind',
    prior.service !== service && 'service',
    prior.ts !== ts && 'timestamp',
  ].filter(Boolean);
  return differs.length ? `/id "${id}" was already used by another event (different ${differs.join(', ')})` : undefined;
}
