import type { EventStore } from '../store/event-store.js';
import type { AnalysisResult } from './analyze.js';
import { analyze } from './analyze.js';
import { accessesFrom } from './from-events.js';

/** Runs the analysis over the store, again only when events arrived since the last run. */
export class AnalysisService {
  private cached: { mark: string; result: AnalysisResult } | undefined;

  constructor(private readonly store: EventStore) {}

  current(): AnalysisResult {
    const mark = this.store.changeMark?.() ?? String(this.store.counts().events);
    if (this.cached?.mark === mark) return this.cached.result;
    const result = analyze(accessesFrom(this.store.allEvents(['StateChange'])));
    this.cached = { mark, result };
    return result;
  }

  forTrace(traceId: string): AnalysisResult {
    const id = traceId.toLowerCase();
    const all = this.current();
    return { races: all.races.filter((r) => r.traceSet.has(id)) };
  }
}
