import type { EventStore } from '../store/event-store.js';
import type { AcceptedBatch, BatchResult } from '../store/ingest-batch.js';
import { rowsOf } from '../store/ingest-batch.js';
import type { EventWriter } from './event-writer.js';

/** Writes on the calling thread, through the same store that answers queries (`:memory:` databases, tests). */
export class InlineWriter implements EventWriter {
  constructor(private readonly store: EventStore) {}

  async write(batches: AcceptedBatch[]): Promise<BatchResult[]> {
    return this.store.insertBatches(batches.map((b) => ({ body: b.body, rows: rowsOf(b.rows), idPrefix: b.idPrefix })));
  }

  async prune(cutoffMs: number): Promise<number> {
    return this.store.prune(cutoffMs);
  }

  async probe(): Promise<void> {
    await this.store.probeWrite?.();
  }

  async close(): Promise<void> {
    await this.store.indexPending?.();
  }
}
