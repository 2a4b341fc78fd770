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

/** A value now (the embedded store) or later (a store across the network). */
export type Awaitable<T> = T | Promise<T>;

/** Events read back in order: all at once from an embedded store, streamed in pages from a server. */
export type EventStream = Iterable<StoredEvent> | AsyncIterable<StoredEvent>;

/**
 * Where events live: the embedded SQLite store (`SqliteStore`, synchronous) or PostgreSQL shared by several
 * server instances (`PostgresStore`). Callers await every result.
 */
export interface EventStore {
  /** Stores events durably (committed before it returns); a repeated id is ignored. */
  insert(events: StoredEvent[]): Awaitable<BatchResult>;
  /** Several received batches in one transaction (group commit), with a result per batch. */
  insertBatches(batches: IngestBatch[]): Awaitable<BatchResult[]>;
  /** Every event, in arrival order (streamed). */
  allEvents(kinds?: string[]): EventStream;
  traceEvents(traceId: string): Awaitable<StoredEvent[]>;
  traces(page: number, pageSize: number, service?: string): Awaitable<{ traces: TraceSummary[]; total: number }>;
  services(): Awaitable<ServiceSummary[]>;
  edges(): Awaitable<ServiceEdge[]>;
  counts(): Awaitable<{ events: number; traces: number }>;
  /** Deletes traces last seen before `cutoffMs` (epoch ms); returns how many events went. */
  prune(cutoffMs: number): Awaitable<number>;
  /** A write that changes nothing: throws while the store cannot write (a storage fault). */
  probeWrite?(): Awaitable<void>;
  /** Finishes deferred index work now (stores that defer some). */
  indexPending?(): Awaitable<void>;
  /** The newest sequence number ever given and how many events are stored, read together. */
  position?(): Awaitable<{ lastSeq: number; events: number }>;
  /** How many stored events have a sequence number in (afterSeq, throughSeq]. */
  countBetween?(afterSeq: number, throughSeq: number): Awaitable<number>;
  /** Stored events with a sequence number in (afterSeq, throughSeq], in that order (streamed). */
  eventsBetween?(afterSeq: number, throughSeq: number, kinds?: string[]): EventStream;
  /** Changes whenever events were added or removed (a count alone can stay equal across a prune and new events). */
  changeMark?(): Awaitable<string>;
  close(): Awaitable<void>;
}
