import { checkSchedule } from '@raceway/protocol';
import type { Hold, Schedule } from '@raceway/protocol';

export type { Hold, Schedule } from '@raceway/protocol';
export { EXPLORE_ENV } from '@raceway/protocol';

/** A schedule as a replay id: the command line that reproduces a confirmation carries the schedule itself. */
export function replayId(schedule: Schedule): string {
  return Buffer.from(JSON.stringify(schedule)).toString('base64url');
}

export function scheduleOfReplayId(id: string): Schedule {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(id, 'base64url').toString('utf8'));
  } catch {
    throw new Error(
      `--replay: "${id.slice(0, 40)}" is not a replay id (copy it from a report of raceway run --explore)`,
    );
  }
  const schedule = checkSchedule(value);
  if (typeof schedule === 'string')
    throw new Error(`--replay: "${id.slice(0, 40)}" does not hold a schedule (${schedule})`);
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
