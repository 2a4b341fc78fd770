import type { EventStore } from '../store/event-store.js';
import type { AnalysisResult } from './analyze.js';
import { analyze } from './analyze.js';
import { accessesFrom, ANALYSED_KINDS } from './from-events.js';

/** An analysis this long is worth a log line. */
const SLOW_MS = 1000;

/** Runs the analysis over the store, again only when events arrived since the last run. */
export class AnalysisService {
  private cached: { mark: string; result: AnalysisResult } | undefined;

  /** `onSlow`: told when one analysis took longer than SLOW_MS (for the server's log). */
  constructor(private readonly store: EventStore, private readonly onSlow?: (ms: number, events: number) => void) {}

  current(): AnalysisResult {
    const mark = this.store.changeMark?.() ?? String(this.store.counts().events);
    if (this.cached?.mark === mark) return this.cached.result;
    const started = performance.now();
    const result = analyze(accessesFrom(this.store.allEvents(ANALYSED_KINDS)));
    const ms = performance.now() - started;
    if (ms > SLOW_MS) this.onSlow?.(Math.round(ms), this.store.counts().events);
    this.cached = { mark, result };
    return result;
  }

  forTrace(traceId: string): AnalysisResult {
    const id = traceId.toLowerCase();
    const all = this.current();
    return { races: all.races.filter((r) => r.traceSet.has(id)) };
  }
}
