import type { BatchParser } from './batch-parser.js';
import type { ParsedBatch } from './parse-batch.js';
import { ThreadClient } from './thread-client.js';

/** Parses and validates request bodies on worker threads (round robin), leaving the HTTP thread to HTTP. */
export class WorkerParser implements BatchParser {
  private readonly threads: ThreadClient[];
  private next = 0;

  /** `script`: the built `ingest-thread.js`; `threads`: how many parser threads. */
  constructor(script: string, threads = 1) {
    this.threads = Array.from({ length: Math.max(1, threads) }, () => new ThreadClient(script, { role: 'parser' }));
  }

  parse(text: string): Promise<ParsedBatch> {
    const thread = this.threads[this.next]!;
    this.next = (this.next + 1) % this.threads.length;
    return thread.call({ op: 'parse', text }) as Promise<ParsedBatch>;
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.close()));
  }
}
