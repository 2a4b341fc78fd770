import type { EventStream, StoredEvent } from '../store/event-store.js';
import type { AccessIndex } from './plan.js';

interface Seen {
  process: string;
  task: string;
  seq: number;
}

/**
 * Indexes the first run's accesses by location: the runtime counts the accesses at a hold's location per
 * process, in the order the process made them (its `raceway.seq`), so the same order is used here.
 */
export async function indexAccesses(events: EventStream): Promise<AccessIndex> {
  const byLocation = new Map<string, Seen[]>();
  for await (const e of events as AsyncIterable<StoredEvent>) {
    const change = (e.kind as { StateChange?: { location?: unknown } }).StateChange;
    const ours = e.raceway as { process?: unknown; task?: unknown; seq?: unknown } | undefined;
    if (!change || typeof change.location !== 'string' || !ours || typeof ours.seq !== 'number') continue;
    let list = byLocation.get(change.location);
    if (!list) byLocation.set(change.location, (list = []));
    list.push({ process: String(ours.process), task: String(ours.task ?? e.metadata.thread_id), seq: ours.seq });
  }
  for (const list of byLocation.values()) list.sort((x, y) => x.seq - y.seq);
  return {
    occurrenceOf(location, task) {
      const list = byLocation.get(location) ?? [];
      const at = list.find((s) => s.task === task);
      if (!at) return undefined;
      return list.filter((s) => s.process === at.process && s.seq <= at.seq).length;
    },
    countAt(location) {
      const perProcess = new Map<string, number>();
      for (const s of byLocation.get(location) ?? []) perProcess.set(s.process, (perProcess.get(s.process) ?? 0) + 1);
      return Math.max(0, ...perProcess.values());
    },
  };
}
