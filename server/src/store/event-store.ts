import type { WireEvent } from '@raceway/protocol';
import type { BatchResult, IngestBatch } from './ingest-batch.js';

export interface StoredEvent extends WireEvent {
  [key: string]: unknown;
}

export interface TraceSummary {
  traceId: string;
  services: string[];
  events: number;
  firstSeen: string;
  lastSeen: string;
}

export interface ServiceSummary {
  name: string;
  events: number;
  traces: number;
}

export interface ServiceEdge {
  from: string;
  to: string;
  calls: number;
}

/**
 * Where events live. The embedded SQLite store implements it; a PostgreSQL store for several server
 * instances can implement the same interface.
 */
export interface EventStore {
  /** Stores events durably (committed before it returns); a repeated id is ignored. */
  insert(events: StoredEvent[]): BatchResult;
  /** Several received batches in one transaction (group commit), with a result per batch. */
  insertBatches(batches: IngestBatch[]): BatchResult[];
  /** Every event, in arrival order (streamed). */
  allEvents(kinds?: string[]): Iterable<StoredEvent>;
  traceEvents(traceId: string): StoredEvent[];
  traces(page: number, pageSize: number, service?: string): { traces: TraceSummary[]; total: number };
  services(): ServiceSummary[];
  edges(): ServiceEdge[];
  counts(): { events: number; traces: number };
  /** Deletes traces last seen before `cutoffMs` (epoch ms); returns how many events went. */
  prune(cutoffMs: number): number;
  /** A write that changes nothing: throws while the store cannot write (a storage fault). */
  probeWrite?(): void;
  /** Finishes deferred index work now (stores that defer some). */
  indexPending?(): void;
  /** The newest sequence number ever given and how many events are stored, read together. */
  position?(): { lastSeq: number; events: number };
  /** How many stored events have a sequence number in (afterSeq, throughSeq]. */
  countBetween?(afterSeq: number, throughSeq: number): number;
  /** Stored events with a sequence number in (afterSeq, throughSeq], in that order (streamed). */
  eventsBetween?(afterSeq: number, throughSeq: number, kinds?: string[]): Iterable<StoredEvent>;
  /** Changes whenever events were added or removed (a count alone can stay equal across a prune and new events). */
  changeMark?(): string;
  close(): void;
}
