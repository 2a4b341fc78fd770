/** Reading wire events the way the detector does. */
export type WireEvent = Record<string, any>;

export function clockOf(e: WireEvent): Map<string, number> {
  return new Map(e.causality_vector as Array<[string, number]>);
}

export function taskOf(e: WireEvent): string {
  return e.raceway.task as string;
}

/** e1 happens before e2: program order within a task, else e2's clock has seen e1's epoch. */
export function happensBefore(e1: WireEvent, e2: WireEvent): boolean {
  if (taskOf(e1) === taskOf(e2)) return e1.raceway.seq < e2.raceway.seq;
  const epoch = clockOf(e1).get(taskOf(e1)) ?? 0;
  return (clockOf(e2).get(taskOf(e1)) ?? 0) >= epoch && epoch > 0;
}

export function concurrent(e1: WireEvent, e2: WireEvent): boolean {
  return !happensBefore(e1, e2) && !happensBefore(e2, e1);
}

export function stateChanges(events: WireEvent[], variable?: string): WireEvent[] {
  return events.filter((e) => e.kind.StateChange && (variable === undefined || e.kind.StateChange.variable === variable));
}

export function access(e: WireEvent): string {
  const s = e.kind.StateChange;
  return `${s.access_type} ${s.variable}`;
}
