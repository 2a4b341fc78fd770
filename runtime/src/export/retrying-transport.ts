import type { CompactVersion } from '@raceway/protocol';
import { reportOnce } from '../diag/diagnostics.js';
import type { BatchBody, BatchEncoder } from './batch-body.js';
import type { Clock } from './clock.js';
import { backoffMs, MAX_ATTEMPTS, MAX_RETRY_AFTER_MS } from './retry-policy.js';
import type { Transport } from './transport.js';

/** What became of one batch's events. */
export interface DeliveryOutcome {
  sent: number;
  dropped: number;
  /** POSTs sent again. */
  retried: number;
  /** Why events were not delivered, for the line printed at exit. */
  failure?: string;
  /** The newest compact batch version the collector's last acknowledgement said it reads. */
  compact?: CompactVersion;
  /** A compact body was refused as not understood (and sent again as standard events). */
  compactRefused?: boolean;
}

/** Statuses with which a collector says it does not understand a body (rather than refusing its events). */
const NOT_UNDERSTOOD = new Set([400, 404, 415, 422]);

/** What the batcher decides while a batch is being delivered. */
export interface DeliveryControl {
  /** When delivery must be over (the shutdown deadline), or Infinity. */
  deadline(): number;
  /** The batcher stopped: no more retries. */
  stopped(): boolean;
  /** Shutdown already counted this batch as dropped: whatever happens now is not counted again. */
  abandoned(): boolean;
  /** An attempt failed (said at exit if events are left undelivered, also while this batch still waits). */
  failed(reason: string): void;
}

/**
 * A transport that retries: backoff with jitter or the collector's Retry-After, a body the collector finds
 * too large split in halves down to single events, a refused batch dropped and said once.
 */
export class RetryingTransport {
  private wake: (() => void) | undefined;

  constructor(
    private readonly transport: Transport,
    private readonly encoder: BatchEncoder,
    private readonly clock: Clock,
    private readonly requestTimeoutMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  async deliver(batch: BatchBody, control: DeliveryControl): Promise<DeliveryOutcome> {
    const outcome: DeliveryOutcome = { sent: 0, dropped: 0, retried: 0 };
    await this.send(batch, control, outcome);
    return outcome;
  }

  /** Ends a wait between attempts now (the batcher is stopping). */
  interrupt(): void {
    this.wake?.();
  }

  shutdown(): void {
    this.transport.shutdown();
  }

  private async send(batch: BatchBody, control: DeliveryControl, outcome: DeliveryOutcome): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const timeout = Math.max(1, Math.min(this.requestTimeoutMs, control.deadline() - this.clock.now()));
      const result = await this.transport.send(batch.body, timeout);
      if (control.abandoned()) return;
      if (result.kind === 'ok' && batch.format === 'compact' && (result.compact ?? 0) < batch.version) {
        // Acknowledged by a collector that does not say it reads this compact version (another one now answers
        // at this endpoint): it may have dropped them unread, so the same events go again as standard events.
        outcome.compactRefused = true;
        await this.sendAll(this.encoder.asStandard(batch), batch.count, control, outcome);
        return;
      }
      if (result.kind === 'ok') {
        outcome.sent += batch.count;
        outcome.compact = result.compact;
        return;
      }
      if (result.kind === 'too-large') {
        const parts = this.encoder.split(batch);
        if (!parts) {
          outcome.dropped += batch.count;
          reportOnce('event-too-large', 'the collector refused a single event as too large (413); it was dropped');
          return;
        }
        await this.sendAll(parts, batch.count, control, outcome);
        return;
      }
      if (
        result.kind === 'rejected' &&
        batch.format === 'compact' &&
        result.status !== undefined &&
        NOT_UNDERSTOOD.has(result.status)
      ) {
        // The collector behind the endpoint no longer reads compact batches: the same events, as standard.
        outcome.compactRefused = true;
        await this.sendAll(this.encoder.asStandard(batch), batch.count, control, outcome);
        return;
      }
      if (result.kind === 'rejected') {
        outcome.failure = `the collector rejected them (${result.reason})`;
        control.failed(outcome.failure);
        outcome.dropped += batch.count;
        reportOnce(
          `rejected-${result.reason}`,
          `the collector rejected a batch (${result.reason}); its ${batch.count} events were dropped`,
        );
        return;
      }
      outcome.failure = result.reason;
      control.failed(result.reason);
      const wait = result.retryAfterMs ?? backoffMs(attempt, this.random);
      if (
        attempt >= MAX_ATTEMPTS ||
        wait > MAX_RETRY_AFTER_MS ||
        this.clock.now() + wait >= control.deadline() ||
        control.stopped()
      ) {
        outcome.dropped += batch.count;
        reportOnce(
          'collector-unavailable',
          `cannot deliver events (${result.reason}); dropping batches until it recovers`,
        );
        return;
      }
      outcome.retried++;
      await this.pause(wait);
    }
  }

  /** Sends the parts of a body in turn; events the parts lost (could not be encoded again) are dropped. */
  private async sendAll(
    parts: BatchBody[],
    count: number,
    control: DeliveryControl,
    outcome: DeliveryOutcome,
  ): Promise<void> {
    let carried = 0;
    for (const part of parts) {
      carried += part.count;
      await this.send(part, control, outcome);
      if (control.abandoned()) return;
    }
    outcome.dropped += count - carried;
  }

  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        this.clock.clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = this.clock.setTimeout(done, ms);
      this.wake = done;
    });
  }
}
