import { availableParallelism } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { ThreadAnalyser } from '../analysis/thread-analyser.js';
import { buildApp } from '../http/app.js';
import { isLoopbackHost } from '../http/request-origin.js';
import type { LogLevel } from '../http/app.js';
import type { ConnectionLimits } from '../http/connection-guard.js';
import type { EventWriter } from '../ingest/event-writer.js';
import { InlineWriter } from '../ingest/inline-writer.js';
import type { BatchParser } from '../ingest/batch-parser.js';
import { InlineParser } from '../ingest/batch-parser.js';
import { WorkerParser } from '../ingest/worker-parser.js';
import { WorkerWriter } from '../ingest/worker-writer.js';
import type { EventStore } from '../store/event-store.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { describeLocation, storeLocation } from '../store/open-store.js';
import type { StoreLocation } from '../store/open-store.js';
import { PostgresStore } from '../store/postgres/postgres-store.js';

const DAY_MS = 86_400_000;
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
  /** A SQLite database file, `:memory:`, or a PostgreSQL URL (`postgres://user@host:5432/db`). */
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
  /**
   * The built analysis-thread module (`dist/esm/analysis/analysis-thread.js`). With it, a file database is
   * analysed on a thread of its own, so the HTTP thread keeps answering while an analysis runs.
   */
  analysisThread?: string;
  /** Structured logs (JSON lines on stderr) at this level and above; default `info`. */
  logLevel?: LogLevel;
  /** Overrides of the default timeouts and connection cap. */
  limits?: Partial<ConnectionLimits>;
}

/**
 * Parser threads: parsing and validating is the heaviest ingest stage, so at least two (a second one evens
 * out large batches even on 2 cores), more with more cores, leaving one for the writer.
 */
const PARSER_THREADS = Math.min(4, Math.max(2, availableParallelism() - 1));

/** Opens the store the options name, with a message that says which one when it cannot be used. */
async function openStore(location: StoreLocation): Promise<EventStore> {
  try {
    // The server process brings the layout up to date before any thread opens the database.
    return location.kind === 'postgres' ? await PostgresStore.open(location.url) : new SqliteStore(location.file);
  } catch (error) {
    throw new Error(
      `cannot use the ${location.kind === 'postgres' ? 'PostgreSQL database' : 'database'} ${describeLocation(location)}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

/** Starts the HTTP server over a SQLite store (a file or :memory:) or a PostgreSQL database (a postgres:// URL). */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const location = storeLocation(options.db);
  if (location.kind === 'postgres' && options.retainMs !== undefined && options.retainMs < DAY_MS)
    throw new Error('--retain with PostgreSQL keeps whole days (partitions): give at least 1d');
  const store = await openStore(location);
  const fileDb = location.kind === 'sqlite' && location.file !== ':memory:';
  // SQLite files are written from a thread that owns the write connection; PostgreSQL is written through
  // the pool from this thread (its work is in the database).
  const writer: EventWriter =
    options.ingestThread && fileDb ? new WorkerWriter(options.ingestThread, location.file) : new InlineWriter(store);
  const parser: BatchParser = options.ingestThread
    ? new WorkerParser(options.ingestThread, PARSER_THREADS)
    : new InlineParser();
  const analyser =
    options.analysisThread && (fileDb || location.kind === 'postgres')
      ? new ThreadAnalyser(options.analysisThread, location)
      : undefined;
  const { app, analysis } = buildApp({
    store,
    writer,
    parser,
    apiKeys: options.apiKeys,
    logger: { level: options.logLevel ?? 'info', stream: process.stderr },
    loopbackOnly: isLoopbackHost(options.host),
    ...(analyser ? { analyser } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.sourceRoot ? { sourceRoot: options.sourceRoot } : {}),
    ...(options.uiDir ? { uiDir: options.uiDir } : {}),
  });
  let pruner: NodeJS.Timeout | undefined;
  const release = async () => {
    if (pruner) clearInterval(pruner);
    await app.close();
    await parser.close();
    await writer.close();
    await store.close();
  };
  try {
    await app.listen({
      host: options.host,
      port: options.port,
      listenTextResolver: (address) => `raceway listening on ${address} (store: ${describeLocation(location)})`,
    });
  } catch (error) {
    await release().catch(() => undefined);
    const code = (error as { code?: string }).code;
    if (code === 'EADDRINUSE')
      throw new Error(
        `port ${options.port} on ${options.host} is already in use: stop what listens there or choose another with --port`,
        { cause: error },
      );
    if (code === 'EACCES')
      throw new Error(
        `not allowed to listen on ${options.host}:${options.port}: choose a port above 1023 with --port`,
        { cause: error },
      );
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
      throw new Error(`cannot listen on ${options.host}: no such address on this machine (--host)`, { cause: error });
    throw error;
  }
  if (options.retainMs) {
    const prune = () => {
      writer.prune(Date.now() - options.retainMs!).then(
        (events) => events > 0 && app.log.info({ events }, 'retention pruned events'),
        (error: unknown) =>
          app.log.error({ reason: error instanceof Error ? error.message : String(error) }, 'pruning failed'),
      );
    };
    prune();
    pruner = setInterval(prune, Math.min(options.retainMs, 60_000));
    pruner.unref();
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    app,
    store,
    analysis,
    url: `http://${host}:${port}`,
    async close() {
      await release();
      app.log.info('raceway stopped');
    },
  };
}

/** `7d`, `12h`, `30m`, `45s` → milliseconds. */
export function parseDuration(text: string, option = '--retain'): number {
  const m = /^(\d+)\s*(d|h|m|s)$/.exec(text.trim());
  if (!m) throw new Error(`${option} expects a duration like 7d, 12h, 30m or 45s, got "${text}"`);
  return Number(m[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 }[m[2] as 'd' | 'h' | 'm' | 's'];
}
