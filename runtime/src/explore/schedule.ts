import { checkSchedule } from '@raceway/protocol';
import type { Schedule } from '@raceway/protocol';

export type { Hold, Schedule } from '@raceway/protocol';

/** The schedule in `text` (the JSON of `RACEWAY_EXPLORE`), or the reason it is not one. */
export function parseSchedule(text: string): Schedule | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'RACEWAY_EXPLORE is not JSON';
  }
  const schedule = checkSchedule(value);
  return typeof schedule === 'string' ? `RACEWAY_EXPLORE: ${schedule}` : schedule;
}
