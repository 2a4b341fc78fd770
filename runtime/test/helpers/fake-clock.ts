import type { Clock } from '../../src/export/clock.js';

/** Lets the promise reactions that timers started run (several turns: the sender awaits in a chain). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** A clock that moves only when the test says so: timers fire in due order as `advance` passes them. */
export class FakeClock implements Clock {
  private time = 1_000_000;
  private next = 1;
  private readonly timers = new Map<number, { due: number; fn: () => void; every?: number }>();

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.timers.set(id, { due: this.time + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  setInterval(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.timers.set(id, { due: this.time + ms, fn, every: ms });
    return id;
  }

  clearInterval(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Timers pending, by how far away they are. */
  pending(): number[] {
    return [...this.timers.values()].map((t) => t.due - this.time).sort((a, b) => a - b);
  }

  /** Moves time forward by `ms`, firing each due timer at its time and letting what it started run. */
  async advance(ms: number): Promise<void> {
    const until = this.time + ms;
    await settle();
    for (;;) {
      let first: [number, { due: number; fn: () => void; every?: number }] | undefined;
      for (const entry of this.timers)
        if (entry[1].due <= until && (!first || entry[1].due < first[1].due)) first = entry;
      if (!first) break;
      const [id, timer] = first;
      this.time = Math.max(this.time, timer.due);
      if (timer.every) timer.due += timer.every;
      else this.timers.delete(id);
      timer.fn();
      await settle();
    }
    this.time = until;
  }
}
