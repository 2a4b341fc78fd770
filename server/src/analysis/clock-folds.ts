import { CLOCK_FOLD_EVENT } from '../store/event-row.js';

/** Fold facts examined per question beyond the first step (a long chain of folds, a component folded often). */
const MAX_STEPS = 20_000;

/**
 * What the SDK's clock folds say: a task whose clock grew too large kept only its own component and
 * published "whoever has seen `into` at epoch `at` has seen each folded component up to its epoch". A
 * clock that lacks a component may still have seen it, through such a fact.
 *
 * Facts are indexed by folded component, then by the component it was folded into, so the common check
 * (the folding task's own component is in the later clock) costs one lookup per component of the clock.
 */
export class ClockFolds {
  private readonly facts = new Map<string, Map<string, Array<{ upTo: number; at: number }>>>();

  get size(): number {
    return this.facts.size;
  }

  /** Learns the fold an event carries; false when it carries none. */
  learn(kind: Record<string, unknown>): boolean {
    const custom = kind.Custom as
      { name?: unknown; data?: { into?: unknown; at?: unknown; folded?: unknown } } | undefined;
    if (custom?.name !== CLOCK_FOLD_EVENT) return false;
    const { into, at, folded } = custom.data ?? {};
    if (typeof into !== 'string' || typeof at !== 'number' || !Array.isArray(folded)) return true;
    for (const pair of folded) {
      if (!Array.isArray(pair) || typeof pair[0] !== 'string' || typeof pair[1] !== 'number') continue;
      const [component, upTo] = pair as [string, number];
      if (component === into) continue;
      let targets = this.facts.get(component);
      if (!targets) this.facts.set(component, (targets = new Map()));
      let list = targets.get(into);
      if (!list) targets.set(into, (list = []));
      list.push({ upTo, at });
    }
    return true;
  }

  /** Whether `clock` has seen `component` at `epoch`, directly or through folds. */
  sees(clock: ReadonlyMap<string, number>, component: string, epoch: number): boolean {
    const direct = clock.get(component);
    if (direct !== undefined && direct >= epoch) return true;
    const targets = this.facts.get(component);
    if (!targets) return false;
    // Folded into a component the clock has: one step, the usual case.
    for (const [into, seen] of clock) {
      const list = targets.get(into);
      if (list && list.some((f) => f.upTo >= epoch && f.at <= seen)) return true;
    }
    // Folded into one that was folded in turn (a chain of timers folds every few dozen runs): follow the
    // chain, asking at each component only for the earliest epoch that covers what is sought.
    const stack: Array<[string, number]> = [[component, epoch]];
    const asked = new Map<string, number>();
    let steps = 0;
    while (stack.length > 0) {
      const [c, e] = stack.pop()!;
      const next = this.facts.get(c);
      if (!next) continue;
      for (const [into, list] of next) {
        if (++steps > MAX_STEPS) return false;
        let at = Infinity;
        for (const f of list) if (f.upTo >= e && f.at < at) at = f.at;
        if (at === Infinity) continue;
        const seen = clock.get(into);
        if (seen !== undefined && seen >= at) return true;
        const before = asked.get(into);
        if (before !== undefined && before <= at) continue;
        asked.set(into, at);
        stack.push([into, at]);
      }
    }
    return false;
  }
}
