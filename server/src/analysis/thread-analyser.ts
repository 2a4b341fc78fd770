import { ThreadClient } from '../ingest/thread-client.js';
import type { StoreLocation } from '../store/open-store.js';
import type { AnalysisResult } from './analyze.js';
import type { Analyser } from './service.js';

/** Runs the analysis on a thread of its own over a database file (`analysis-thread.js`). */
export class ThreadAnalyser implements Analyser {
  private readonly thread: ThreadClient;

  /** `script`: the built `analysis-thread.js`; `store`: where the thread reads events from. */
  constructor(script: string, store: StoreLocation) {
    this.thread = new ThreadClient(script, { role: 'analyser', store });
  }

  analyse(): Promise<AnalysisResult> {
    return this.thread.call({ op: 'analyse' }) as Promise<AnalysisResult>;
  }

  close(): Promise<void> {
    return this.thread.close();
  }
}
