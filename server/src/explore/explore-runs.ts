import type { RaceReport } from '../analysis/report.js';
import type { Schedule } from './hold.js';
import { describeHold, replayId } from './hold.js';
import { holdsFor, sameRace } from './plan.js';
import type { AccessIndex } from './plan.js';
import { seededRandom } from './seeded-random.js';

/** One run of the command: its exit code and the report of what it did; `started` false when it could not start. */
export interface CommandRun {
  code: number;
  started: boolean;
  report: RaceReport;
}

export interface ExploreOptions {
  /** At most this many reruns. */
  reruns: number;
  /** No rerun starts after this many milliseconds from the first. */
  timeLimitMs: number;
  seed: number;
  /** Where the first run made its accesses (which occurrence arms a hold). */
  index: AccessIndex;
  /** Runs the command once with `schedule` steering it. */
  run(schedule: Schedule): Promise<CommandRun>;
  /** Told before each rerun (for a progress line). */
  onRerun?(index: number, race: RaceReport['races'][number], schedule: Schedule): void;
  now?: () => number;
}

/** What exploration adds to a race of the report. */
export interface RaceExploration {
  /** Confirmed: the rerun in which it happened, the schedule that made it happen, and how to replay it. */
  confirmed?: { rerun: number; schedule: Schedule; how: string[]; replay: string };
  /** How many schedules were tried for it. */
  schedulesTried: number;
}

export interface ExplorationSummary {
  seed: number;
  reruns: number;
  confirmed: number;
  stillPredicted: number;
  /** Why exploration ended before trying every planned schedule, if it did. */
  stopped?: string;
}

/**
 * Reruns the command with schedules that steer it towards each race the first run only predicted, one race
 * per rerun in turn, until each is confirmed, or the reruns or the time are used up. A confirmed race takes
 * the interleaving observed in its rerun. `first` is the first run's report; the result is that report with
 * exploration's findings, and the summary.
 */
export async function explore(
  first: RaceReport,
  options: ExploreOptions,
): Promise<{ report: RaceReport; summary: ExplorationSummary }> {
  const now = options.now ?? Date.now;
  const started = now();
  const random = seededRandom(options.seed);
  const targets = first.races.filter((r) => !r.observed);
  const plans = new Map(targets.map((r) => [r.id, holdsFor(r, random, options.index)]));
  const found = new Map<string, { race: RaceReport['races'][number]; exploration: RaceExploration }>();
  const tried = new Map<string, number>();
  let reruns = 0;
  let stopped: string | undefined;
  let turn = 0;
  while (reruns < options.reruns) {
    const open = targets.filter((r) => !found.has(r.id) && (plans.get(r.id)?.length ?? 0) > (tried.get(r.id) ?? 0));
    if (open.length === 0) break;
    if (now() - started >= options.timeLimitMs) {
      stopped = `the time limit (${Math.round(options.timeLimitMs / 1000)} s) was reached`;
      break;
    }
    const target = open[turn++ % open.length]!;
    const attempt = tried.get(target.id) ?? 0;
    tried.set(target.id, attempt + 1);
    const schedule: Schedule = { holds: [plans.get(target.id)![attempt]!] };
    reruns++;
    options.onRerun?.(reruns, target, schedule);
    const result = await options.run(schedule);
    if (!result.started) {
      stopped = `rerun ${reruns} could not start the command`;
      break;
    }
    // Any predicted race that happened in this rerun is confirmed by it, the target or another.
    for (const race of targets) {
      if (found.has(race.id)) continue;
      const happened = result.report.races.find((r) => r.observed && sameRace(race, r));
      if (!happened) continue;
      found.set(race.id, {
        race: happened,
        exploration: {
          confirmed: {
            rerun: reruns,
            schedule,
            how: schedule.holds.map(describeHold),
            replay: replayId(schedule),
          },
          schedulesTried: tried.get(race.id) ?? 0,
        },
      });
    }
  }
  const races = first.races.map((race) => {
    const confirmation = found.get(race.id);
    if (confirmation)
      return {
        ...race,
        observed: true,
        severity: confirmation.race.severity,
        accesses: confirmation.race.accesses,
        traces: confirmation.race.traces,
        exploration: confirmation.exploration,
      };
    if (race.observed) return race;
    return { ...race, exploration: { schedulesTried: tried.get(race.id) ?? 0 } };
  });
  const summary: ExplorationSummary = {
    seed: options.seed,
    reruns,
    confirmed: found.size,
    stillPredicted: targets.length - found.size,
    ...(stopped ? { stopped } : {}),
  };
  return { report: { ...first, races, exploration: summary }, summary };
}
