import type { BatchParser } from './batch-parser.js';
import type { ParsedBatch } from './parse-batch.js';
import { ThreadClient } from './thread-client.js';

/** Parses and validates request bodies on a worker thread, leaving the HTTP thread to HTTP. */
export class WorkerParser implements BatchParser {
  private readonly thread: ThreadClient;

  /** `script`: the built `ingest-thread.js`. */
  constructor(script: string) {
    this.thread = new ThreadClient(script, { role: 'parser' });
  }

  parse(text: string): Promise<ParsedBatch> {
    return this.thread.call({ op: 'parse', text }) as Promise<ParsedBatch>;
  }

  close(): Promise<void> {
    return this.thread.close();
  }
}
