import type { EventStore, StoredEvent } from '../store/event-store.js';

interface Pending {
  events: StoredEvent[];
  resolve(result: { inserted: number; duplicates: number }): void;
  reject(error: unknown): void;
}

/**
 * Group commit: batches from requests that arrive in the same turn of the event loop are written in one
 * transaction, and each request is answered only after that transaction committed. Fewer, larger
 * commits; the same durability per acknowledged event.
 */
export class GroupCommit {
  private pending: Pending[] = [];
  private scheduled = false;

  constructor(private readonly store: EventStore) {}

  submit(events: StoredEvent[]): Promise<{ inserted: number; duplicates: number }> {
    if (events.length === 0) return Promise.resolve({ inserted: 0, duplicates: 0 });
    return new Promise((resolve, reject) => {
      this.pending.push({ events, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    const group = this.pending;
    this.pending = [];
    this.scheduled = false;
    try {
      const results = this.store.insertBatches(group.map((p) => p.events));
      group.forEach((p, i) => p.resolve(results[i]!));
    } catch (error) {
      for (const p of group) p.reject(error);
    }
  }
}
