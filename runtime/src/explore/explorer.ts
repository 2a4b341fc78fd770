import { originalTimers } from '../context/original-timers.js';
import type { Task } from '../context/task.js';
import type { Hold, Schedule } from './schedule.js';

/** A continuation being held back: released by `until` or by its timer. */
interface Waiting {
  hold: Hold;
  task: Task;
  release(): void;
}

/**
 * Steers one run: counts the accesses at each hold's `after` location; the unit that makes the chosen
 * occurrence is held at its next await (`gate`), until another unit makes an access at `until` or the
 * hold's time runs out. Holds apply once each; a unit that is not armed passes every gate untouched.
 */
export class Explorer {
  private readonly counts = new Map<string, number>();
  private readonly armed = new Map<Task, Hold>();
  private readonly waiting: Waiting[] = [];
  private readonly afterLocations: Set<string>;
  private readonly untilLocations: Set<string>;
  /** What happened to each hold (for diagnostics and tests). */
  readonly outcomes: Array<{ hold: Hold; released: 'until' | 'timeout'; waitedMs: number }> = [];

  constructor(private readonly schedule: Schedule) {
    this.afterLocations = new Set(schedule.holds.map((h) => h.after));
    this.untilLocations = new Set(schedule.holds.map((h) => h.until));
  }

  /** Called for every recorded access (the recorder's hot path: two set lookups when nothing matches). */
  onAccess(location: string, task: Task): void {
    if (this.untilLocations.has(location) && this.waiting.length) {
      for (const w of [...this.waiting]) if (w.hold.until === location && w.task !== task) w.release();
    }
    if (!this.afterLocations.has(location)) return;
    const n = (this.counts.get(location) ?? 0) + 1;
    this.counts.set(location, n);
    for (const hold of this.schedule.holds)
      if (hold.after === location && hold.occurrence === n && !this.armed.has(task)) this.armed.set(task, hold);
  }

  /** `await gate(x)`: `x` itself unless `task` is armed; then a promise of `x` that settles once released. */
  gate<T>(value: T, task: Task): T | Promise<Awaited<T>> {
    const hold = this.armed.get(task);
    if (!hold) return value;
    this.armed.delete(task);
    const started = performance.now();
    const released = new Promise<void>((resolve) => {
      const waiting: Waiting = {
        hold,
        task,
        release: () => {
          const at = this.waiting.indexOf(waiting);
          if (at === -1) return;
          this.waiting.splice(at, 1);
          originalTimers.clearTimeout(timer);
          this.outcomes.push({ hold, released: outcome, waitedMs: performance.now() - started });
          resolve();
        },
      };
      let outcome: 'until' | 'timeout' = 'until';
      const timer = originalTimers.setTimeout(() => {
        outcome = 'timeout';
        waiting.release();
      }, hold.maxMs);
      this.waiting.push(waiting);
    });
    // A rejection of `value` during the hold is reported after it, as the await would have.
    Promise.resolve(value).catch(() => undefined);
    return released.then(() => value as Awaited<T>);
  }
}
