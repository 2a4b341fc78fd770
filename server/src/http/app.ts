import fastifyStatic from '@fastify/static';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { AnalysisService } from '../analysis/service.js';
import { toReport } from '../analysis/report.js';
import { errorBody } from '../errors/catalogue.js';
import type { ErrorCode } from '../errors/catalogue.js';
import type { BatchParser } from '../ingest/batch-parser.js';
import { InlineParser } from '../ingest/batch-parser.js';
import type { EventWriter } from '../ingest/event-writer.js';
import { GroupCommit } from '../ingest/group-commit.js';
import { InlineWriter } from '../ingest/inline-writer.js';
import type { EventStore } from '../store/event-store.js';
import { makeKeyCheck } from './auth.js';

export const MAX_BODY_BYTES = 8 * 1024 * 1024;

export interface AppOptions {
  store: EventStore;
  apiKeys?: readonly string[];
  logger?: boolean;
  /** Where source files are read from to show code around race locations (default: none). */
  sourceRoot?: string;
  /** The built web UI to serve at `/` (the `raceway` command passes the package's ui-dist). */
  uiDir?: string;
  /** Where accepted events are written (default: through `store` on this thread). */
  writer?: EventWriter;
  /** What parses and validates `POST /events` bodies (default: this thread). */
  parser?: BatchParser;
}

function fail(reply: { code(n: number): { send(b: unknown): unknown } }, code: ErrorCode, message?: string) {
  const body = errorBody(code, message);
  return reply.code(body.statusCode).send(body);
}

/** The HTTP API: ingest, health, and the query API. Every route but /health requires a key when keys are set. */
export function buildApp(options: AppOptions): { app: FastifyInstance; analysis: AnalysisService } {
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: MAX_BODY_BYTES });
  const analysis = new AnalysisService(options.store);
  const authorized = makeKeyCheck(options.apiKeys ?? []);
  const commits = new GroupCommit(options.writer ?? new InlineWriter(options.store), options.writer?.concurrentWrites ?? 1);
  const parser = options.parser ?? new InlineParser();

  const uiDir = options.uiDir;
  if (uiDir) void app.register(fastifyStatic, { root: uiDir, prefix: '/', index: ['index.html'], wildcard: false });
  // The UI's own files and /health are open; the UI asks for a key when the API answers 401.
  const open = (url: string) => url === '/' || url === '/index.html' || url.startsWith('/assets/') || url === '/health' || url.startsWith('/health?') || url.startsWith('/?');

  app.addHook('onRequest', async (request, reply) => {
    if (open(request.url)) return;
    if (!authorized(request.headers)) return fail(reply, 'RW_UNAUTHORIZED');
  });

  app.setErrorHandler((error: { code?: string; statusCode?: number; message: string }, _request, reply) => {
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return fail(reply, 'RW_BODY_TOO_LARGE');
    if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || (error.statusCode === 400 && /JSON/i.test(error.message))) return fail(reply, 'RW_BAD_JSON');
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) return fail(reply, 'RW_BAD_QUERY', error.message);
    return fail(reply, 'RW_INTERNAL');
  });
  app.setNotFoundHandler((_request, reply) => fail(reply, 'RW_NOT_FOUND'));

  app.get('/health', async () => ({ success: true, data: { status: 'ok' }, error: null }));

  // Ingest has a parser of its own: the body goes on as text, parsed and validated by `parser` (possibly on
  // another thread), and that text is what gets stored.
  void app.register(async (ingest) => {
    ingest.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    ingest.post('/events', async (request, reply) => {
      let text = String(request.body ?? '');
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a byte-order mark, as JSON parsers skip it
      const parsed = await parser.parse(text);
      if (parsed.kind === 'bad-json') return fail(reply, 'RW_BAD_JSON');
      if (parsed.kind === 'bad-batch') return fail(reply, 'RW_BAD_BATCH');
      const { count, rejected } = parsed;
      const { inserted, duplicates } = await commits.submit({ body: parsed.packed ?? text, rows: parsed.rows, count });
      return { success: rejected.length === 0, data: { accepted: count, inserted, duplicates, rejected: rejected.length, errors: rejected.slice(0, 100) }, error: rejected.length ? `${rejected.length} event(s) rejected` : null };
    });
  });

  app.get('/api/races', async () => ({ success: true, data: toReport(analysis.current().races, options.store.counts(), options.sourceRoot), error: null }));

  app.get('/api/races/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    const report = toReport(analysis.current().races, options.store.counts(), options.sourceRoot);
    const race = report.races.find((r) => r.id === id);
    return race ? { success: true, data: race, error: null } : fail(reply, 'RW_RACE_NOT_FOUND');
  });

  app.get('/api/traces', async (request, reply) => {
    const q = request.query as { page?: string; page_size?: string; service?: string };
    const page = Number(q.page ?? 1);
    const pageSize = Number(q.page_size ?? 50);
    if (!Number.isInteger(page) || page < 1 || !Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) return fail(reply, 'RW_BAD_QUERY', 'page must be >= 1 and page_size between 1 and 1000');
    const { traces, total } = options.store.traces(page, pageSize, q.service);
    const races = analysis.current().races;
    const hasRace = (id: string) => races.some((r) => r.traceSet.has(id));
    return { success: true, data: { traces: traces.map((t) => ({ ...t, hasRace: hasRace(t.traceId) })), total, page, pageSize }, error: null };
  });

  app.get('/api/traces/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    const events = options.store.traceEvents(id.replace(/^([0-9a-f]{8})([0-9a-f]{4})([0-9a-f]{4})([0-9a-f]{4})([0-9a-f]{12})$/i, '$1-$2-$3-$4-$5'));
    if (events.length === 0) return fail(reply, 'RW_TRACE_NOT_FOUND');
    // Causal order: by each event's time, then per-process sequence.
    const ordered = [...events].sort((a, b) => {
      const ta = a.raceway?.time_us ?? Date.parse(a.timestamp) * 1000;
      const tb = b.raceway?.time_us ?? Date.parse(b.timestamp) * 1000;
      return ta - tb || (a.raceway?.seq ?? 0) - (b.raceway?.seq ?? 0);
    });
    const tasks = new Map<string, { task: string; service: string; parentTask: string | null; unit: string; events: number }>();
    const audit = new Map<string, Array<{ eventId: string; access: string; value: unknown; location: string; task: string; service: string }>>();
    for (const e of ordered) {
      const task = e.raceway?.task ?? e.metadata.thread_id;
      const t = tasks.get(task) ?? { task, service: e.metadata.service_name ?? 'unknown', parentTask: (e.raceway as { parent_task?: string } | undefined)?.parent_task ?? null, unit: e.raceway?.unit ?? task, events: 0 };
      t.events++;
      tasks.set(task, t);
      const change = e.kind.StateChange;
      if (change) {
        const v = String(change.variable);
        const list = audit.get(v) ?? [];
        list.push({ eventId: e.id, access: String(change.access_type), value: change.new_value, location: String(change.location ?? ''), task, service: e.metadata.service_name ?? 'unknown' });
        audit.set(v, list);
      }
    }
    const races = toReport(analysis.forTrace(events[0]!.trace_id).races, options.store.counts(), options.sourceRoot).races;
    return { success: true, data: { traceId: events[0]!.trace_id, events: ordered, tasks: [...tasks.values()], auditTrails: Object.fromEntries(audit), races }, error: null };
  });

  app.get('/api/services', async () => ({ success: true, data: { services: options.store.services(), edges: options.store.edges() }, error: null }));

  app.get('/api/services/:name/dependencies', async (request) => {
    const { name } = request.params as { name: string };
    const edges = options.store.edges();
    return { success: true, data: { service: name, calls: edges.filter((e) => e.from === name), calledBy: edges.filter((e) => e.to === name) }, error: null };
  });

  return { app, analysis };
}
