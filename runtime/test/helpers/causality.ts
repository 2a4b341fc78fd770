/** Reading wire events the way the detector does. */
export type WireEvent = Record<string, any>;

export function clockOf(e: WireEvent): Map<string, number> {
  return new Map(e.causality_vector as Array<[string, number]>);
}

export function taskOf(e: WireEvent): string {
  return e.raceway.task as string;
}

/** The clock component an event's task advanced: its task id unless it took another's over. */
export function componentOf(e: WireEvent): string {
  return (e.raceway.component as string | undefined) ?? taskOf(e);
}

/** Fold facts (`RacewayClockFold` events): folded component → where it was folded into. */
export type Folds = Map<string, Array<{ upTo: number; into: string; at: number }>>;

export function foldsOf(events: WireEvent[]): Folds {
  const folds: Folds = new Map();
  for (const e of events) {
    const custom = e.kind.Custom;
    if (custom?.name !== 'RacewayClockFold') continue;
    for (const [component, upTo] of custom.data.folded as Array<[string, number]>) {
      if (!folds.has(component)) folds.set(component, []);
      folds.get(component)!.push({ upTo, into: custom.data.into, at: custom.data.at });
    }
  }
  return folds;
}

function sees(clock: Map<string, number>, component: string, epoch: number, folds: Folds): boolean {
  // Breadth-first over the folds, each component asked for the earliest epoch that covers what is sought.
  const queue: Array<[string, number]> = [[component, epoch]];
  const asked = new Map<string, number>();
  while (queue.length > 0) {
    const [c, e] = queue.shift()!;
    if ((clock.get(c) ?? 0) >= e) return true;
    for (const f of folds.get(c) ?? []) {
      if (f.upTo < e || (asked.get(f.into) ?? Infinity) <= f.at) continue;
      asked.set(f.into, f.at);
      queue.push([f.into, f.at]);
    }
  }
  return false;
}

/** e1 happens before e2: program order within a task, else e2's clock has seen e1's epoch (directly or folded). */
export function happensBefore(e1: WireEvent, e2: WireEvent, folds: Folds = new Map()): boolean {
  if (taskOf(e1) === taskOf(e2)) return e1.raceway.seq < e2.raceway.seq;
  const epoch = clockOf(e1).get(componentOf(e1)) ?? 0;
  return epoch > 0 && sees(clockOf(e2), componentOf(e1), epoch, folds);
}

export function concurrent(e1: WireEvent, e2: WireEvent, folds?: Folds): boolean {
  return !happensBefore(e1, e2, folds) && !happensBefore(e2, e1, folds);
}

export function stateChanges(events: WireEvent[], variable?: string): WireEvent[] {
  return events.filter(
    (e) => e.kind.StateChange && (variable === undefined || e.kind.StateChange.variable === variable),
  );
}

export function access(e: WireEvent): string {
  const s = e.kind.StateChange;
  return `${s.access_type} ${s.variable}`;
}
