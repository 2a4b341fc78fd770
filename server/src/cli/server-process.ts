import { availableParallelism } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../http/app.js';
import type { EventWriter } from '../ingest/event-writer.js';
import { InlineWriter } from '../ingest/inline-writer.js';
import type { BatchParser } from '../ingest/batch-parser.js';
import { InlineParser } from '../ingest/batch-parser.js';
import { WorkerParser } from '../ingest/worker-parser.js';
import { WorkerWriter } from '../ingest/worker-writer.js';
import type { EventStore } from '../store/event-store.js';
import { SqliteStore } from '../store/sqlite-store.js';
import type { AnalysisService } from '../analysis/service.js';

export interface RunningServer {
  app: FastifyInstance;
  store: EventStore;
  analysis: AnalysisService;
  url: string;
  close(): Promise<void>;
}

export interface ServerOptions {
  host: string;
  port: number;
  /** A database file, or `:memory:`. */
  db: string;
  apiKeys: string[];
  retainMs?: number;
  sourceRoot?: string;
  uiDir?: string;
  /**
   * The built ingest-thread module (`dist/esm/ingest/ingest-thread.js`). With it, request bodies are parsed
   * on a worker thread and a file database is written from another, beside the HTTP thread.
   */
  ingestThread?: string;
}

/**
 * Parser threads: parsing and validating is the heaviest ingest stage, so at least two (a second one evens
 * out large batches even on 2 cores), more with more cores, leaving one for the writer.
 */
const PARSER_THREADS = Math.min(4, Math.max(2, availableParallelism() - 1));

/** Starts the HTTP server over a SQLite store (a file or :memory:). */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const store = new SqliteStore(options.db); // creates or converts the layout before any writer opens the file
  const writer: EventWriter = options.ingestThread && options.db !== ':memory:' ? new WorkerWriter(options.ingestThread, options.db) : new InlineWriter(store);
  const parser: BatchParser = options.ingestThread ? new WorkerParser(options.ingestThread, PARSER_THREADS) : new InlineParser();
  const { app, analysis } = buildApp({ store, writer, parser, apiKeys: options.apiKeys, ...(options.sourceRoot ? { sourceRoot: options.sourceRoot } : {}), ...(options.uiDir ? { uiDir: options.uiDir } : {}) });
  let pruner: NodeJS.Timeout | undefined;
  if (options.retainMs) {
    const prune = () => {
      writer.prune(Date.now() - options.retainMs!).catch((error: unknown) => process.stderr.write(`raceway: pruning failed: ${error instanceof Error ? error.message : String(error)}\n`));
    };
    prune();
    pruner = setInterval(prune, Math.min(options.retainMs, 60_000));
    pruner.unref();
  }
  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    app,
    store,
    analysis,
    url: `http://${host}:${port}`,
    async close() {
      if (pruner) clearInterval(pruner);
      await app.close();
      await parser.close();
      await writer.close();
      store.close();
    },
  };
}

/** `7d`, `12h`, `30m`, `45s` → milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+)\s*(d|h|m|s)$/.exec(text.trim());
  if (!m) throw new Error(`--retain expects a duration like 7d, 12h, 30m or 45s, got "${text}"`);
  return Number(m[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 }[m[2] as 'd' | 'h' | 'm' | 's'];
}
