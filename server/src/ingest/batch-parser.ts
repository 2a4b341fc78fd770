import type { ParsedBatch } from './parse-batch.js';
import { parseBatch } from './parse-batch.js';

/** Turns request bodies into validated rows: on the HTTP thread, or on a parser thread beside it. */
export interface BatchParser {
  parse(text: string): Promise<ParsedBatch>;
  close(): Promise<void>;
}

/** Parses on the calling thread. */
export class InlineParser implements BatchParser {
  async parse(text: string): Promise<ParsedBatch> {
    return parseBatch(text);
  }

  async close(): Promise<void> {}
}
