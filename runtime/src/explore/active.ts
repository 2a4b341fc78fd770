import { EXPLORE_ENV } from '@raceway/protocol';
import { reportOnce } from '../diag/diagnostics.js';
import { Explorer } from './explorer.js';
import { parseSchedule } from './schedule.js';

/** The process's explorer when `RACEWAY_EXPLORE` holds a schedule; undefined (the usual case) otherwise. */
export let explorer: Explorer | undefined;

/** Reads `RACEWAY_EXPLORE` (once at start; tests call it again after changing the variable). */
export function loadSchedule(text = process.env[EXPLORE_ENV]): void {
  explorer = undefined;
  if (!text) return;
  const schedule = parseSchedule(text);
  if (typeof schedule === 'string') {
    reportOnce('explore-schedule', `${schedule}; running without steering`);
    return;
  }
  explorer = new Explorer(schedule);
}

loadSchedule();
