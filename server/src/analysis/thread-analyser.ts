import { ThreadClient } from '../ingest/thread-client.js';
import type { AnalysisResult } from './analyze.js';
import type { Analyser } from './service.js';

/** Runs the analysis on a thread of its own over a database file (`analysis-thread.js`). */
export class ThreadAnalyser implements Analyser {
  private readonly thread: ThreadClient;

  /** `script`: the built `analysis-thread.js`; `file`: the database file. */
  constructor(script: string, file: string) {
    this.thread = new ThreadClient(script, { role: 'analyser', file });
  }

  analyse(): Promise<AnalysisResult> {
    return this.thread.call({ op: 'analyse' }) as Promise<AnalysisResult>;
  }

  close(): Promise<void> {
    return this.thread.close();
  }
}
