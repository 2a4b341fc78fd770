import { newestCompactVersion, RACEWAY_INTERNAL } from '@raceway/protocol';
import { isRetryableStatus, parseRetryAfter } from './retry-policy.js';
import type { PostAnswer } from './sender-thread-source.js';
import type { SendResult } from './transport.js';

/**
 * What a collector's answer to a POST means for the batch, from its status and the two headers that
 * matter (`x-raceway-batch-formats`, `Retry-After`). One reading for every transport.
 */
export function outcomeOfResponse(
  status: number,
  formats: string | undefined,
  retryAfter: string | undefined,
): SendResult {
  if (status >= 200 && status < 300) {
    const compact = formats !== undefined ? newestCompactVersion(formats) : undefined;
    return compact ? { kind: 'ok', compact } : { kind: 'ok' };
  }
  if (status === 413) return { kind: 'too-large' };
  if (isRetryableStatus(status)) {
    const after = parseRetryAfter(retryAfter);
    return { kind: 'retryable', reason: `HTTP ${status}`, ...(after !== undefined ? { retryAfterMs: after } : {}) };
  }
  return { kind: 'rejected', reason: `HTTP ${status}`, status };
}

/** What an answer to a POST, or its failure (retried: the collector may come back), means for the batch. */
export function outcomeOfAnswer(answer: PostAnswer): SendResult {
  if ('error' in answer) return { kind: 'retryable', reason: answer.error };
  return outcomeOfResponse(answer.status, answer.formats, answer.retryAfter);
}

/** The headers of a POST of `bytes` bytes of batch JSON. */
export function postHeaders(bytes: number, apiKey: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'content-length': String(bytes),
    // Marks the SDK's own traffic, which middlewares pass by.
    [RACEWAY_INTERNAL]: 'true',
  };
  if (apiKey) {
    headers.authorization = `Bearer ${apiKey}`;
    headers['x-raceway-key'] = apiKey;
  }
  return headers;
}
