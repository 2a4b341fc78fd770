/**
 * A schedule to steer: which continuations to hold back, and until when. `raceway run --explore` writes
 * it into `RACEWAY_EXPLORE` for each rerun of the command; nothing is held without one.
 */
export interface Hold {
  /** `path:line:col` of an access: the unit that makes it (its `occurrence`-th time in the process) is held. */
  after: string;
  /** Which time the access at `after` arms the hold (1 = the first). */
  occurrence: number;
  /** The held unit resumes once another unit makes an access here… */
  until: string;
  /** …or after this many milliseconds, whichever comes first. */
  maxMs: number;
}

export interface Schedule {
  holds: Hold[];
}

const LOCATION = /^.+:\d+:\d+$/;
/** No continuation is held longer than this, whatever a schedule says. */
export const MAX_HOLD_MS = 10_000;

/** The schedule in `text` (JSON), or the reason it is not one. */
export function parseSchedule(text: string): Schedule | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'RACEWAY_EXPLORE is not JSON';
  }
  const holds = (value as { holds?: unknown } | null)?.holds;
  if (!Array.isArray(holds) || holds.length === 0) return 'RACEWAY_EXPLORE needs {"holds":[…]} with at least one hold';
  const parsed: Hold[] = [];
  for (const [i, h] of holds.entries()) {
    const { after, until, occurrence, maxMs } = (h ?? {}) as Record<string, unknown>;
    if (typeof after !== 'string' || !LOCATION.test(after) || typeof until !== 'string' || !LOCATION.test(until))
      return `RACEWAY_EXPLORE hold ${i}: "after" and "until" must be locations (path:line:col)`;
    if (!Number.isInteger(occurrence) || (occurrence as number) < 1)
      return `RACEWAY_EXPLORE hold ${i}: "occurrence" must be a whole number from 1`;
    if (typeof maxMs !== 'number' || !(maxMs > 0) || maxMs > MAX_HOLD_MS)
      return `RACEWAY_EXPLORE hold ${i}: "maxMs" must be above 0 and at most ${MAX_HOLD_MS}`;
    parsed.push({ after, until, occurrence: occurrence as number, maxMs });
  }
  return { holds: parsed };
}
