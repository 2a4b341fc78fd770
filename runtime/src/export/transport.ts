/** The result of one POST of a batch. */
export type SendResult =
  | { readonly kind: 'ok' }
  | { readonly kind: 'retryable'; readonly reason: string; readonly retryAfterMs?: number }
  | { readonly kind: 'too-large' }
  | { readonly kind: 'rejected'; readonly reason: string };

/** Moves a serialised batch to the collector. */
export interface Transport {
  send(body: string, timeoutMs: number): Promise<SendResult>;
  shutdown(): void;
}
