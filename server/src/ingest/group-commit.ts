import type { AcceptedBatch, BatchResult } from '../store/ingest-batch.js';
import type { EventWriter } from './event-writer.js';

interface Pending {
  batch: AcceptedBatch;
  resolve(result: BatchResult): void;
  reject(error: unknown): void;
}

/**
 * Group commit: requests that arrive while writes are under way are written together in the next
 * transaction, and each request is answered only after the transaction holding it committed. At most
 * `inFlight` writes are outstanding (a writer on another thread gets the next group queued while it
 * commits the current one), so under load transactions grow instead of queueing; the same durability
 * per acknowledged event.
 */
export class GroupCommit {
  private pending: Pending[] = [];
  private writing = 0;
  private scheduled = false;

  constructor(
    private readonly writer: EventWriter,
    private readonly inFlight = 1,
  ) {}

  submit(batch: AcceptedBatch): Promise<BatchResult> {
    if (batch.count === 0) return Promise.resolve({ inserted: 0, duplicates: 0 });
    return new Promise((resolve, reject) => {
      this.pending.push({ batch, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.writing >= this.inFlight || this.pending.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.writing >= this.inFlight || this.pending.length === 0) return;
    const group = this.pending;
    this.pending = [];
    this.writing++;
    try {
      const results = await this.writer.write(group.map((p) => p.batch));
      group.forEach((p, i) => p.resolve(results[i]!));
    } catch (error) {
      for (const p of group) p.reject(error);
    } finally {
      this.writing--;
      this.schedule();
    }
  }
}
