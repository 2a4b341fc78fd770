import type { FastifyBaseLogger } from 'fastify';
import type { EventWriter } from '../ingest/event-writer.js';
import { isStorageFault } from '../store/storage-fault.js';

/** While faulted, /health tries a write at most this often. */
const PROBE_EVERY_MS = 1000;

/**
 * Whether the store can write. A write that fails for a storage reason (disk full, read-only, file gone)
 * marks it faulted: logged once, ingest answers 503 and /health is unhealthy. The next successful write,
 * or a probe from /health, clears it (logged too). Nothing is acknowledged that was not committed.
 */
export class StorageHealth {
  private fault: { reason: string; since: number } | undefined;
  private lastProbe = 0;

  constructor(
    private readonly writer: EventWriter,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** Records the outcome of a write; true when `error` was a storage fault (answer 503, not 500). */
  failed(error: unknown): boolean {
    if (!isStorageFault(error)) return false;
    const reason = error instanceof Error ? error.message : String(error);
    if (!this.fault) {
      this.fault = { reason, since: Date.now() };
      this.lastProbe = Date.now();
      this.log.error(
        { code: (error as { code?: string }).code, reason },
        'storage fault: events cannot be stored; answering 503 until the store can write again',
      );
    }
    return true;
  }

  succeeded(): void {
    if (!this.fault) return;
    this.log.warn({ faultedForMs: Date.now() - this.fault.since }, 'storage recovered: events are stored again');
    this.fault = undefined;
  }

  /** The current fault, after a probe write when one is due. */
  async check(): Promise<{ reason: string; since: number } | undefined> {
    if (this.fault && Date.now() - this.lastProbe >= PROBE_EVERY_MS) {
      this.lastProbe = Date.now();
      try {
        await this.writer.probe();
        this.succeeded();
      } catch (error) {
        if (!this.failed(error)) throw error;
      }
    }
    return this.fault;
  }

  get faulted(): boolean {
    return this.fault !== undefined;
  }
}
