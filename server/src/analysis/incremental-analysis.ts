import { append } from './append.js';
import type { Access } from './access.js';
import type { VariableFindings } from './analyze.js';
import { analyseVariable, multiVariableUnits, realOrder } from './analyze.js';
import { combine, multiVariableViolations } from './detect.js';
import type { ThreadEvent, WireEvent } from './from-events.js';
import { dropReport, isThreadEvent, ourAccess, processOf, threadEvent, ThreadReplay } from './from-events.js';
import type { NotAnalysed } from './from-events.js';
import { ClockFolds } from './clock-folds.js';
import { groupRaces } from './group.js';
import type { Occurrence, Race } from './race.js';

/** Merges two lists sorted by `order` (stable: `a` first on ties). */
function mergeSorted<T>(a: T[], b: T[], order: (x: T, y: T) => number): T[] {
  if (b.length === 0) return a;
  if (a.length === 0) return b;
  const out = new Array<T>(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) out[k++] = order(a[i]!, b[j]!) <= 0 ? a[i++]! : b[j++]!;
  while (i < a.length) out[k++] = a[i++]!;
  while (j < b.length) out[k++] = b[j++]!;
  return out;
}

/** Per process, the other SDKs' events seen so far and the replay of their threads. */
interface ThreadProcess {
  events: ThreadEvent[];
  replay: ThreadReplay;
  accesses: Access[];
}

/**
 * The analysis kept up to date as events arrive: new events re-run only the passes of the variables and
 * units they touch. Per variable (single-variable violations, predictions, unordered initialisation) the
 * findings of untouched variables are kept; the multi-variable pass re-runs for the units the new accesses
 * belong to or whose time window they fall into. Threads of other SDKs are replayed on from where they
 * were, or again for their process when events arrive out of order. The real order of all accesses is
 * kept by merging (no re-sort), which leaves the relative order of older accesses unchanged.
 */
export class IncrementalAnalysis {
  private accesses: Access[] = [];
  private readonly variables = new Map<string, Access[]>();
  private readonly findings = new Map<string, VariableFindings>();
  private readonly units = new Map<string, Access[]>();
  private readonly multi = new Map<string, Occurrence[]>();
  private readonly threads = new Map<string, ThreadProcess>();
  private arrival = 0;
  private result: Race[] | undefined = [];
  /** What SDKs reported they did not send, per process (counts are cumulative: the largest is kept). */
  private readonly drops = new Map<string, NotAnalysed>();
  /** Traces an SDK cut short under load: left out, since a partial trace makes races appear and vanish. */
  private readonly truncated = new Set<string>();
  /** Clock folds the SDKs published: they order accesses whose clocks dropped components. */
  private readonly folds = new ClockFolds();
  /** Ingested and not yet settled: new accesses, accesses to take out, thread units that changed. */
  private pending = { fresh: [] as Access[], removed: new Set<Access>(), threadUnits: new Set<string>() };

  /** How many accesses are analysed. */
  get size(): number {
    this.settle();
    return this.accesses.length;
  }

  /** Adds events and brings the findings up to date with them. */
  add(events: Iterable<WireEvent>): void {
    this.ingest(events);
    this.settle();
  }

  /**
   * Takes events in without re-running any pass: a store read in pages ingests each page, then settles once
   * (settling after every page would re-run the passes of hot variables once per page).
   */
  ingest(events: Iterable<WireEvent>): void {
    const fresh = this.pending.fresh;
    const removed = this.pending.removed;
    const threadEvents = new Map<string, ThreadEvent[]>();
    const newlyTruncated = new Set<string>();
    for (const e of events) {
      this.arrival++;
      const drop = dropReport(e);
      if (drop) {
        const known = this.drops.get(drop.report.process);
        this.drops.set(
          drop.report.process,
          known
            ? {
                ...known,
                droppedTraces: Math.max(known.droppedTraces, drop.report.droppedTraces),
                truncatedTraces: Math.max(known.truncatedTraces, drop.report.truncatedTraces),
              }
            : drop.report,
        );
        for (const id of drop.truncatedIds) {
          if (!this.truncated.has(id)) newlyTruncated.add(id);
          this.truncated.add(id);
        }
        continue;
      }
      if (this.folds.learn(e.kind)) continue;
      if (this.truncated.has(e.trace_id.toLowerCase())) continue;
      if (isThreadEvent(e)) {
        const process = processOf(e);
        let list = threadEvents.get(process);
        if (!list) threadEvents.set(process, (list = []));
        list.push(threadEvent(e, this.arrival));
        continue;
      }
      const a = ourAccess(e, this.arrival, this.folds);
      if (a) fresh.push(a);
    }
    // Threads that got events (a FunctionReturn closing a call changes their multi-variable units too).
    const threadUnits = new Set<string>();
    for (const [process, list] of threadEvents) {
      for (const t of list) threadUnits.add(`${process}|${t.event.trace_id}/${t.event.metadata.thread_id}`);
      let state = this.threads.get(process);
      if (!state) this.threads.set(process, (state = { events: [], replay: new ThreadReplay(), accesses: [] }));
      append(state.events, list);
      if (list.every((t) => t.time >= state!.replay.lastTime)) {
        const added = state.replay.add(list);
        append(state.accesses, added);
        append(fresh, added);
      } else {
        // Late events: replay the process's threads again (held locks and clocks depend on the order).
        for (const a of state.accesses) removed.add(a);
        state.replay = new ThreadReplay();
        state.accesses = state.replay.add(state.events);
        append(fresh, state.accesses);
      }
    }
    if (newlyTruncated.size) {
      for (const a of this.accesses) if (newlyTruncated.has(a.traceId.toLowerCase())) removed.add(a);
      for (let i = fresh.length - 1; i >= 0; i--)
        if (newlyTruncated.has(fresh[i]!.traceId.toLowerCase())) fresh.splice(i, 1);
    }
    // Accesses replaced before they were settled are simply dropped.
    if (removed.size) this.pending.fresh = fresh.filter((a) => !removed.has(a));
    for (const unit of threadUnits) this.pending.threadUnits.add(unit);
  }

  /** Runs the passes the ingested events touch (what `add` does after taking them in). */
  settle(): void {
    const { fresh, removed, threadUnits } = this.pending;
    this.pending = { fresh: [], removed: new Set(), threadUnits: new Set() };
    if (fresh.length === 0 && removed.size === 0 && threadUnits.size === 0) return;
    this.result = undefined;

    fresh.sort(realOrder);
    const kept = removed.size ? this.accesses.filter((a) => !removed.has(a)) : this.accesses;
    this.accesses = mergeSorted(kept, fresh, realOrder);
    this.accesses.forEach((a, i) => (a.index = i));

    const touchedVariables = new Map<string, Access[]>();
    const touchedUnits = new Map<string, Access[]>();
    for (const a of [...fresh, ...removed]) {
      if (!touchedVariables.has(a.key)) touchedVariables.set(a.key, []);
      if (!touchedUnits.has(a.unitKey)) touchedUnits.set(a.unitKey, []);
    }
    for (const a of fresh) {
      touchedVariables.get(a.key)!.push(a);
      touchedUnits.get(a.unitKey)!.push(a);
    }
    const byIndex = (x: Access, y: Access) => x.index - y.index;
    for (const [key, added] of touchedVariables) {
      const old = this.variables.get(key) ?? [];
      const list = mergeSorted(removed.size ? old.filter((a) => !removed.has(a)) : old, added.sort(byIndex), byIndex);
      if (list.length === 0) {
        this.variables.delete(key);
        this.findings.delete(key);
        continue;
      }
      this.variables.set(key, list);
      this.findings.set(key, analyseVariable(list));
    }
    for (const [unit, added] of touchedUnits) {
      const old = this.units.get(unit) ?? [];
      const list = mergeSorted(removed.size ? old.filter((a) => !removed.has(a)) : old, added.sort(byIndex), byIndex);
      if (list.length === 0) this.units.delete(unit);
      else this.units.set(unit, list);
    }

    // Multi-variable: the touched units, and every unit whose window the new accesses fall into.
    const from = fresh.length ? fresh[0]!.time : Infinity;
    const to = fresh.length ? fresh[fresh.length - 1]!.time : -Infinity;
    const recheck = new Set([...touchedUnits.keys(), ...threadUnits]);
    for (const [unit, own] of this.units) {
      if (own[0]!.time <= to && own[own.length - 1]!.time >= from) recheck.add(unit);
    }
    for (const unit of recheck) this.multi.delete(unit);
    const units = multiVariableUnits(
      [...recheck].map((u) => this.units.get(u)).filter((own): own is Access[] => own !== undefined),
    );
    for (const own of units) {
      const found = multiVariableViolations([own], this.accesses);
      if (found.length) this.multi.set(own[0]!.unitKey, append(this.multi.get(own[0]!.unitKey) ?? [], found));
    }
  }

  /** Traces the SDKs did not send (whole) or cut short (left out), per process. */
  notAnalysed(): NotAnalysed[] {
    return [...this.drops.values()];
  }

  /** The races over everything added so far. */
  races(): Race[] {
    this.settle();
    if (!this.result) {
      const parts = {
        single: [] as Occurrence[],
        predicted: [] as Occurrence[],
        unordered: [] as Occurrence[],
        multi: [...this.multi.values()].flat(),
      };
      for (const f of this.findings.values()) {
        append(parts.single, f.single);
        append(parts.predicted, f.predicted);
        append(parts.unordered, f.unordered);
      }
      this.result = groupRaces(combine(parts));
    }
    return this.result;
  }
}
