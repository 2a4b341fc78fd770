import type { EventStore } from '../store/event-store.js';
import type { AnalysisResult } from './analyze.js';
import { StoreAnalysis } from './store-analysis.js';

/** An analysis this long is worth a log line. */
const SLOW_MS = 1000;

/** Where the analysis runs: on this thread, or on a thread of its own (`ThreadAnalyser`). */
export interface Analyser {
  analyse(): Promise<AnalysisResult>;
  close(): Promise<void>;
}

/** Analyses on the calling thread (`:memory:` stores, tests, `buildApp` as a library). */
export class InlineAnalyser implements Analyser {
  private readonly analysis: StoreAnalysis;

  constructor(store: EventStore) {
    this.analysis = new StoreAnalysis(store);
  }

  async analyse(): Promise<AnalysisResult> {
    return this.analysis.result();
  }

  async close(): Promise<void> {}
}

/**
 * The races of the store, analysed again only when events were added or removed since the last time
 * (the store's change mark), and only for what they touch. Concurrent callers share one run.
 */
export class AnalysisService {
  private cached: { mark: string; result: AnalysisResult } | undefined;
  private running: { mark: string; result: Promise<AnalysisResult> } | undefined;

  /** `onSlow`: told when one analysis took longer than SLOW_MS (for the server's log). */
  constructor(
    private readonly store: EventStore,
    private readonly onSlow?: (ms: number, accesses: number) => void,
    private readonly analyser: Analyser = new InlineAnalyser(store),
  ) {}

  async current(): Promise<AnalysisResult> {
    const mark = this.store.changeMark ? await this.store.changeMark() : String((await this.store.counts()).events);
    if (this.cached?.mark === mark) return this.cached.result;
    if (this.running?.mark === mark) return this.running.result;
    const started = performance.now();
    const result = this.analyser.analyse().then((done) => {
      const ms = performance.now() - started;
      if (ms > SLOW_MS) this.onSlow?.(Math.round(ms), done.accesses ?? 0);
      this.cached = { mark, result: done };
      return done;
    });
    this.running = { mark, result };
    void result
      .finally(() => {
        if (this.running?.result === result) this.running = undefined;
      })
      .catch(() => undefined);
    return result;
  }

  async forTrace(traceId: string): Promise<AnalysisResult> {
    const id = traceId.toLowerCase();
    const all = await this.current();
    return { ...all, races: all.races.filter((r) => r.traceSet.has(id)) };
  }

  close(): Promise<void> {
    return this.analyser.close();
  }
}
