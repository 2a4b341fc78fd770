/**
 * An immutable vector clock. Tasks replace their clock on every change (copy-on-write), so an event
 * can keep a reference to the snapshot it ran under without copying it: the hot path stores a pointer,
 * and the wire form is serialised once per snapshot, not once per event.
 */
export class VectorClock {
  static readonly empty = new VectorClock(new Map());

  private wireCache: string | undefined;

  private constructor(private readonly entries: ReadonlyMap<string, number>) {}

  static fromPairs(pairs: Iterable<readonly [string, number]>): VectorClock {
    const map = new Map<string, number>();
    for (const [component, value] of pairs) {
      if (value > (map.get(component) ?? 0)) map.set(component, value);
    }
    return new VectorClock(map);
  }

  get size(): number {
    return this.entries.size;
  }

  get(component: string): number {
    return this.entries.get(component) ?? 0;
  }

  /** A copy with `component` set to `value`. */
  with(component: string, value: number): VectorClock {
    const map = new Map(this.entries);
    map.delete(component); // re-inserted last: most recently advanced components survive pruning
    map.set(component, value);
    return new VectorClock(map);
  }

  /** A copy with `component` advanced by one. */
  tick(component: string): VectorClock {
    return this.with(component, this.get(component) + 1);
  }

  /** Component-wise maximum. Returns `this` when `other` adds nothing. */
  merge(other: VectorClock): VectorClock {
    let map: Map<string, number> | undefined;
    for (const [component, value] of other.entries) {
      if (value > this.get(component)) {
        map ??= new Map(this.entries);
        map.delete(component);
        map.set(component, value);
      }
    }
    return map ? new VectorClock(map) : this;
  }

  /** True when every component of this clock is <= the same component of `other`. */
  leq(other: VectorClock): boolean {
    for (const [component, value] of this.entries) {
      if (value > other.get(component)) return false;
    }
    return true;
  }

  /**
   * Keeps at most `max` components, always keeping `keep`; the least recently advanced go first.
   * Used to bound what travels in headers.
   */
  prune(max: number, keep?: string): VectorClock {
    if (this.entries.size <= max) return this;
    const kept = new Map<string, number>();
    const all = [...this.entries];
    const budget = keep !== undefined && this.entries.has(keep) ? max - 1 : max;
    for (const [component, value] of all.slice(Math.max(0, all.length - budget))) kept.set(component, value);
    if (keep !== undefined && this.entries.has(keep)) kept.set(keep, this.get(keep));
    return new VectorClock(kept);
  }

  toPairs(): Array<[string, number]> {
    return [...this.entries];
  }

  /** The `causality_vector` JSON text, computed once per snapshot. */
  toWireJson(): string {
    this.wireCache ??= JSON.stringify(this.toPairs());
    return this.wireCache;
  }
}
