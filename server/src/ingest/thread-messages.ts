import type { BatchBody } from '../store/ingest-batch.js';
import type { StoreLocation } from '../store/open-store.js';

/**
 * Messages between the HTTP thread and the ingest threads. Batches and rows travel as strings (rows as
 * JSON): cloning a string is one copy, cloning an array of tuples costs per element.
 */
export interface PackedBatch {
  body: BatchBody;
  rows: string;
  idPrefix?: string;
}

export type ThreadCall =
  | { op: 'write'; batches: PackedBatch[] }
  | { op: 'prune'; cutoffMs: number }
  | { op: 'parse'; text: string }
  /** A write that changes nothing, to learn whether the store can write again after a fault. */
  | { op: 'probe' }
  /** Brings the analysis up to date with the store and answers with the races (the analyser thread). */
  | { op: 'analyse' }
  | { op: 'close' };

export type ThreadRequest = ThreadCall & { id: number };

export type ThreadReply =
  | { id: number; ok: true; value: unknown }
  | {
      id: number;
      ok: false;
      error: string;
      /** the error's code (SQLITE_FULL…), so faults stay recognisable */ code?: string;
    };

/** What an ingest thread is for, given as its workerData. */
export type ThreadRole =
  | { role: 'writer'; file: string }
  | { role: 'parser' }
  | { role: 'checkpointer'; file: string }
  | { role: 'analyser'; store: StoreLocation };

/** The reply for a request that failed: the message, and the code that keeps a storage fault recognisable. */
export function failureReply(id: number, error: unknown): ThreadReply {
  const code = (error as { code?: unknown } | null)?.code;
  return {
    id,
    ok: false,
    error: error instanceof Error ? error.message : String(error),
    ...(typeof code === 'string' ? { code } : {}),
  };
}
