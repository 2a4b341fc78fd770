/// <reference types="node" preserve="true" />
/** The result of one POST of a batch. */
export type SendResult =
  | { readonly kind: 'ok' }
  | { readonly kind: 'retryable'; readonly reason: string; readonly retryAfterMs?: number }
  | { readonly kind: 'too-large' }
  | { readonly kind: 'rejected'; readonly reason: string };

/** Moves a serialised batch to the collector. */
export interface Transport {
  /** `body`: the batch as UTF-8 JSON. */
  send(body: Buffer, timeoutMs: number): Promise<SendResult>;
  shutdown(): void;
}
