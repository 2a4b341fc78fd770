import type { FastifyInstance } from 'fastify';
import { buildApp } from '../http/app.js';
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

/** Starts the HTTP server over a SQLite store (a file or :memory:). */
export async function startServer(options: { host: string; port: number; db: string; apiKeys: string[]; retainMs?: number; sourceRoot?: string; uiDir?: string }): Promise<RunningServer> {
  const store = new SqliteStore(options.db);
  const { app, analysis } = buildApp({ store, apiKeys: options.apiKeys, ...(options.sourceRoot ? { sourceRoot: options.sourceRoot } : {}), ...(options.uiDir ? { uiDir: options.uiDir } : {}) });
  let pruner: NodeJS.Timeout | undefined;
  if (options.retainMs) {
    const prune = () => store.prune(Date.now() - options.retainMs!);
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
