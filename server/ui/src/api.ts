import type { WireEvent } from '@raceway/protocol';
import type { RaceReport } from '../../src/analysis/report.js';
import type { TraceDetail } from '../../src/query/trace-detail.js';
import type { ServiceEdge, ServiceSummary, TraceSummary as StoredTraceSummary } from '../../src/store/event-store.js';

/** The query API, with the API key the user typed (kept in sessionStorage for this tab only). */
const KEY = 'raceway.apiKey';

export class NeedsKey extends Error {}

export function setKey(key: string): void {
  sessionStorage.setItem(KEY, key);
}

export async function api<T>(path: string): Promise<T> {
  const key = sessionStorage.getItem(KEY);
  const response = await fetch(path, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  if (response.status === 401) throw new NeedsKey('this server needs an API key');
  const body = (await response.json()) as { success: boolean; data: T; error: string | null };
  if (!response.ok) throw new Error(body.error ?? `HTTP ${response.status}`);
  return body.data;
}

// The API's shapes come from the server's own types (type-only imports: nothing is bundled).
export type Report = RaceReport;
export type Race = RaceReport['races'][number];
export type Access = Race['accesses'][number];
export type TraceSummary = StoredTraceSummary & { hasRace: boolean };
export type { TraceDetail };

export type { WireEvent };

export interface Services {
  services: ServiceSummary[];
  edges: ServiceEdge[];
}
