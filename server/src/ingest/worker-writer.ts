import type { AcceptedBatch, BatchResult } from '../store/ingest-batch.js';
import { rowsJsonOf } from '../store/ingest-batch.js';
import type { EventWriter } from './event-writer.js';
import { ThreadClient } from './thread-client.js';

/**
 * Writes from a worker thread that owns the database's write connection, so SQLite's work runs beside
 * the HTTP thread instead of between its requests. The next group is handed over while one commits.
 * A third thread checkpoints the WAL, so commits do not wait for that copy.
 */
export class WorkerWriter implements EventWriter {
  readonly concurrentWrites = 2;
  private readonly thread: ThreadClient;
  private readonly checkpointer: ThreadClient;

  /** `script`: the built `ingest-thread.js`; `file`: the database file. */
  constructor(script: string, file: string) {
    this.thread = new ThreadClient(script, { role: 'writer', file });
    this.checkpointer = new ThreadClient(script, { role: 'checkpointer', file });
    this.checkpointer.start();
  }

  write(batches: AcceptedBatch[]): Promise<BatchResult[]> {
    return this.thread.call({
      op: 'write',
      batches: batches.map((b) => ({
        body: b.body,
        rows: rowsJsonOf(b.rows),
        ...(b.idPrefix !== undefined ? { idPrefix: b.idPrefix } : {}),
      })),
    }) as Promise<BatchResult[]>;
  }

  prune(cutoffMs: number): Promise<number> {
    return this.thread.call({ op: 'prune', cutoffMs }) as Promise<number>;
  }

  async probe(): Promise<void> {
    await this.thread.call({ op: 'probe' });
  }

  async close(): Promise<void> {
    await this.thread.close();
    await this.checkpointer.close();
  }
}
