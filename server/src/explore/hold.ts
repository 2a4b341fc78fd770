/**
 * A hold, as the runtime reads it from `RACEWAY_EXPLORE` (`@raceway/runtime`, explore/schedule.ts): the unit
 * making the `occurrence`-th access at `after` waits at its next await until another unit makes an access at
 * `until`, or `maxMs` passed.
 */
export interface Hold {
  after: string;
  occurrence: number;
  until: string;
  maxMs: number;
}

export interface Schedule {
  holds: Hold[];
}

/** The environment variable the runtime reads the schedule from. */
export const EXPLORE_ENV = 'RACEWAY_EXPLORE';

/** A schedule as a replay id: the command line that reproduces a confirmation carries the schedule itself. */
export function replayId(schedule: Schedule): string {
  return Buffer.from(JSON.stringify(schedule)).toString('base64url');
}

export function scheduleOfReplayId(id: string): Schedule {
  let schedule: Schedule;
  try {
    schedule = JSON.parse(Buffer.from(id, 'base64url').toString('utf8')) as Schedule;
  } catch {
    throw new Error(
      `--replay: "${id.slice(0, 40)}" is not a replay id (copy it from a report of raceway run --explore)`,
    );
  }
  const ok =
    Array.isArray(schedule?.holds) &&
    schedule.holds.length > 0 &&
    schedule.holds.every(
      (h) =>
        typeof h?.after === 'string' &&
        typeof h.until === 'string' &&
        Number.isInteger(h.occurrence) &&
        h.occurrence >= 1 &&
        typeof h.maxMs === 'number' &&
        h.maxMs > 0,
    );
  if (!ok) throw new Error(`--replay: "${id.slice(0, 40)}" does not hold a schedule`);
  return schedule;
}

/** How a hold reads in a report. */
export function describeHold(hold: Hold): string {
  const nth =
    hold.occurrence === 1
      ? 'first'
      : `${hold.occurrence}${['th', 'st', 'nd', 'rd'][hold.occurrence % 10 > 3 || Math.floor(hold.occurrence / 10) === 1 ? 0 : hold.occurrence % 10]}`;
  return `held the unit that made the ${nth} access at ${hold.after} at its next await until another unit reached ${hold.until} (at most ${hold.maxMs} ms)`;
}
