/// <reference types="node" preserve="true" />
import type { CompactVersion } from '@raceway/protocol';

/** The result of one POST of a batch. */
export type SendResult =
  /** `compact`: the newest compact batch version the collector said it reads (`x-raceway-batch-formats`). */
  | { readonly kind: 'ok'; readonly compact?: CompactVersion }
  | { readonly kind: 'retryable'; readonly reason: string; readonly retryAfterMs?: number }
  | { readonly kind: 'too-large' }
  | { readonly kind: 'rejected'; readonly reason: string; readonly status?: number };

/** Moves a serialised batch to the collector. */
export interface Transport {
  /** `body`: the batch as UTF-8 JSON (standard events or a compact batch). */
  send(body: Buffer, timeoutMs: number): Promise<SendResult>;
  shutdown(): void;
}
