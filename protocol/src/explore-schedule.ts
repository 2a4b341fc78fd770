/**
 * The schedule `raceway run --explore` hands each rerun of a command in `RACEWAY_EXPLORE` (JSON), and that
 * the runtime steers by: which continuations to hold back, and until when.
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

/** The environment variable that carries a schedule to the processes of a rerun. */
export const EXPLORE_ENV = 'RACEWAY_EXPLORE';

/** No continuation is held longer than this, whatever a schedule says. */
export const MAX_HOLD_MS = 10_000;

const LOCATION = /^.+:\d+:\d+$/;

/** The schedule `value` (parsed JSON) describes, or the reason it does not describe one. */
export function checkSchedule(value: unknown): Schedule | string {
  const holds = (value as { holds?: unknown } | null)?.holds;
  if (!Array.isArray(holds) || holds.length === 0) return 'a schedule needs {"holds":[…]} with at least one hold';
  const checked: Hold[] = [];
  for (const [i, h] of holds.entries()) {
    const { after, until, occurrence, maxMs } = (h ?? {}) as Record<string, unknown>;
    if (typeof after !== 'string' || !LOCATION.test(after) || typeof until !== 'string' || !LOCATION.test(until))
      return `hold ${i}: "after" and "until" must be locations (path:line:col)`;
    if (!Number.isInteger(occurrence) || (occurrence as number) < 1)
      return `hold ${i}: "occurrence" must be a whole number from 1`;
    if (typeof maxMs !== 'number' || !(maxMs > 0) || maxMs > MAX_HOLD_MS)
      return `hold ${i}: "maxMs" must be above 0 and at most ${MAX_HOLD_MS}`;
    checked.push({ after, until, occurrence: occurrence as number, maxMs });
  }
  return { holds: checked };
}
