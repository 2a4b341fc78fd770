/** When and how long to wait before sending a failed batch again. */
export const MAX_ATTEMPTS = 5;
export const INITIAL_BACKOFF_MS = 250;
export const MAX_BACKOFF_MS = 5000;
export const BACKOFF_MULTIPLIER = 1.5;
export const JITTER = 0.2;
/** A Retry-After longer than this is treated as "give up on this batch". */
export const MAX_RETRY_AFTER_MS = 30_000;

/** Statuses worth another try: throttling and server-side trouble. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 408 || (status >= 500 && status <= 599);
}

/** Delay before attempt `attempt` (1 = the first retry), with ±20 % jitter. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(MAX_BACKOFF_MS, INITIAL_BACKOFF_MS * BACKOFF_MULTIPLIER ** (attempt - 1));
  return Math.round(base * (1 - JITTER + 2 * JITTER * random()));
}

/** `Retry-After` as seconds or an HTTP date → milliseconds, or undefined when absent/invalid. */
export function parseRetryAfter(header: string | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
