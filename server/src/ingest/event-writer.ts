import type { AcceptedBatch, BatchResult } from '../store/ingest-batch.js';

/**
 * Where accepted batches are written. Resolves once they are committed (durable), with a result per
 * batch; the HTTP reply is sent only then.
 */
export interface EventWriter {
  /** How many writes may be outstanding at once (a writer thread takes the next while it commits one). */
  readonly concurrentWrites?: number;
  write(batches: AcceptedBatch[]): Promise<BatchResult[]>;
  /** Deletes traces last seen before `cutoffMs` (epoch ms); resolves to how many events went. */
  prune(cutoffMs: number): Promise<number>;
  /** Makes a write that changes nothing; rejects while the store cannot write (disk full, read-only, file gone). */
  probe(): Promise<void>;
  /** Finishes pending index work and releases the database. */
  close(): Promise<void>;
}
