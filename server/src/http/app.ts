import fastifyStatic from '@fastify/static';
import Fastify, { LogController } from 'fastify';
import type { FastifyInstance } from 'fastify';
import { BATCH_FORMATS_HEADER, COMPACT_FORMATS } from '@raceway/protocol';
import { AnalysisService } from '../analysis/service.js';
import type { Analyser } from '../analysis/service.js';
import { toReport } from '../analysis/report.js';
import { errorBody } from '../errors/catalogue.js';
import type { ErrorCode } from '../errors/catalogue.js';
import type { BatchParser } from '../ingest/batch-parser.js';
import { InlineParser } from '../ingest/batch-parser.js';
import type { EventWriter } from '../ingest/event-writer.js';
import { GroupCommit } from '../ingest/group-commit.js';
import { InlineWriter } from '../ingest/inline-writer.js';
import type { EventStore } from '../store/event-store.js';
import { raceParams, serviceParams, traceParams, tracesQuery } from '../query/route-schemas.js';
import { traceDetail } from '../query/trace-detail.js';
import type { BatchResult } from '../store/ingest-batch.js';
import { makeKeyCheck } from './auth.js';
import type { ConnectionLimits } from './connection-guard.js';
import { defaultConnectionLimits, guardConnections } from './connection-guard.js';
import { crossSiteReason, foreignHostReason, isJsonContentType } from './request-origin.js';
import { SECURITY_HEADERS } from './security-headers.js';
import { StorageHealth } from './storage-health.js';

export const MAX_BODY_BYTES = 8 * 1024 * 1024;

/** Log levels of `--log-level` (pino's). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface AppOptions {
  store: EventStore;
  apiKeys?: readonly string[];
  /** Structured log lines (JSON, one per line): start, stop, refused batches, storage faults, slow analysis. Default: none. */
  logger?: boolean | { level?: LogLevel; stream?: { write(line: string): unknown } };
  /** Where source files are read from to show code around race locations (default: none). */
  sourceRoot?: string;
  /** The built web UI to serve at `/` (the `raceway` command passes the package's ui-dist). */
  uiDir?: string;
  /** Where accepted events are written (default: through `store` on this thread). */
  writer?: EventWriter;
  /** What parses and validates `POST /events` bodies (default: this thread). */
  parser?: BatchParser;
  /** Where the analysis runs (default: on this thread). */
  analyser?: Analyser;
  /** The server listens on a loopback address: refuse requests whose Host names anything else (DNS rebinding). */
  loopbackOnly?: boolean;
  /** Timeouts and the connection cap (defaults: `defaultConnectionLimits()`). */
  limits?: Partial<ConnectionLimits>;
}

type Reply = { code(n: number): { send(b: unknown): unknown }; header(name: string, value: string): unknown };

function fail(reply: Reply, code: ErrorCode, message?: string) {
  const body = errorBody(code, message);
  // A refused client may still be sending; closing is cheaper than reading what it sends.
  if (body.statusCode === 401 || body.statusCode === 413 || body.statusCode === 403 || body.statusCode === 415)
    reply.header('connection', 'close');
  return reply.code(body.statusCode).send(body);
}

const isApi = (url: string) =>
  url === '/events' || url.startsWith('/events?') || url.startsWith('/api/') || url === '/api';
const pathOf = (url: string) => url.split('?', 1)[0]!;

/** The HTTP API: ingest, health, and the query API. Every route but /health requires a key when keys are set. */
export function buildApp(options: AppOptions): { app: FastifyInstance; analysis: AnalysisService } {
  const limits = { ...defaultConnectionLimits(), ...options.limits };
  const logger = options.logger === true ? { level: 'info' as LogLevel } : options.logger || false;
  const app = Fastify({
    logger,
    // One line per request would cost ingest more than it tells; refusals are logged below.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: MAX_BODY_BYTES,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionTimeout: Math.max(limits.requestTimeoutMs, limits.keepAliveTimeoutMs) * 2,
    // Timeouts are checked this often (Node's default, 30 s, lets a slow client hold a socket far past its timeout).
    http: { connectionsCheckingInterval: Math.min(1000, limits.requestTimeoutMs) },
    frameworkErrors: (_error, _request, reply) => fail(reply as unknown as Reply, 'RW_BAD_URL'),
  });
  guardConnections(app.server, limits);
  const log = app.log;
  const analysis = new AnalysisService(
    options.store,
    (ms, accesses) => log.warn({ ms, accesses }, 'slow analysis'),
    options.analyser,
  );
  app.addHook('onClose', async () => analysis.close());
  const authorized = makeKeyCheck(options.apiKeys ?? []);
  const writer = options.writer ?? new InlineWriter(options.store);
  const commits = new GroupCommit(writer, options.writer?.concurrentWrites ?? 1);
  const storage = new StorageHealth(writer, log);
  const parser = options.parser ?? new InlineParser();
  const loopbackOnly = options.loopbackOnly ?? false;

  const uiDir = options.uiDir;
  if (uiDir) void app.register(fastifyStatic, { root: uiDir, prefix: '/', index: ['index.html'], wildcard: false });
  // The UI's own files and /health are open; the UI asks for a key when the API answers 401.
  const open = (url: string) =>
    url === '/' ||
    url === '/index.html' ||
    url.startsWith('/assets/') ||
    url === '/health' ||
    url.startsWith('/health?') ||
    url.startsWith('/?');
  const refuse = (
    request: { ip: string; method: string; url: string },
    reply: Reply,
    code: ErrorCode,
    why?: string,
    /** The client is told `why` too (a fault in what it sent, not a security decision). */
    tell = false,
  ) => {
    log.warn(
      {
        client: request.ip,
        method: request.method,
        path: pathOf(request.url).slice(0, 200),
        code,
        ...(why ? { why } : {}),
      },
      'request refused',
    );
    return fail(reply, code, tell ? why : undefined);
  };

  app.addHook('onRequest', async (request, reply) => {
    const foreignHost = loopbackOnly ? foreignHostReason(request.headers.host) : undefined;
    if (foreignHost) return refuse(request, reply, 'RW_CROSS_SITE', foreignHost);
    const crossSite = isApi(request.url) ? crossSiteReason(request.headers) : undefined;
    if (crossSite) return refuse(request, reply, 'RW_CROSS_SITE', crossSite);
    if (!open(request.url) && !authorized(request.headers)) return refuse(request, reply, 'RW_UNAUTHORIZED');
    if (
      request.method === 'POST' &&
      pathOf(request.url) === '/events' &&
      !isJsonContentType(request.headers['content-type'])
    ) {
      return refuse(
        request,
        reply,
        'RW_UNSUPPORTED_MEDIA_TYPE',
        `content-type ${String(request.headers['content-type'] ?? 'missing').slice(0, 100)}`,
      );
    }
  });

  app.addHook('onSend', async (_request, reply, payload) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value);
    return payload;
  });

  app.setErrorHandler((error: { code?: string; statusCode?: number; message: string }, request, reply) => {
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return refuse(request, reply, 'RW_BODY_TOO_LARGE');
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return refuse(request, reply, 'RW_UNSUPPORTED_MEDIA_TYPE');
    if (
      error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
      error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ||
      (error.statusCode === 400 && /JSON/i.test(error.message))
    )
      return refuse(request, reply, 'RW_BAD_JSON');
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500)
      return fail(reply, 'RW_BAD_QUERY', error.message);
    if (storage.failed(error)) return fail(reply, 'RW_STORAGE_UNAVAILABLE');
    log.error({ err: error, method: request.method, path: pathOf(request.url).slice(0, 200) }, 'internal error');
    return fail(reply, 'RW_INTERNAL');
  });
  app.setNotFoundHandler((_request, reply) => fail(reply, 'RW_NOT_FOUND'));

  app.get('/health', async (_request, reply) => {
    const fault = await storage.check();
    if (!fault) return { success: true, data: { status: 'ok' }, error: null };
    const body = errorBody('RW_STORAGE_UNAVAILABLE');
    return reply.code(503).send({ ...body, data: { status: 'unhealthy', since: new Date(fault.since).toISOString() } });
  });

  // Ingest has a parser of its own: the body goes on as text, parsed and validated by `parser` (possibly on
  // another thread), and that text is what gets stored.
  void app.register(async (ingest) => {
    ingest.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    ingest.post('/events', async (request, reply) => {
      // Our SDK sends compact batches to a collector that says it reads them (others get standard events).
      reply.header(BATCH_FORMATS_HEADER, COMPACT_FORMATS);
      let text = String(request.body ?? '');
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a byte-order mark, as JSON parsers skip it
      const parsed = await parser.parse(text);
      if (parsed.kind === 'bad-json') return refuse(request, reply, 'RW_BAD_JSON');
      if (parsed.kind === 'bad-batch') return refuse(request, reply, 'RW_BAD_BATCH', parsed.reason, true);
      const { count } = parsed;
      let result: BatchResult;
      try {
        result = await commits.submit({
          body: parsed.packed ?? text,
          rows: parsed.rows,
          count,
          idPrefix: parsed.idPrefix,
        });
      } catch (error) {
        if (storage.failed(error)) return fail(reply, 'RW_STORAGE_UNAVAILABLE');
        throw error;
      }
      storage.succeeded();
      const rejected = result.conflicts?.length
        ? [...parsed.rejected, ...result.conflicts].sort((a, b) => a.index - b.index)
        : parsed.rejected;
      if (rejected.length)
        log.warn(
          {
            client: request.ip,
            rejected: rejected.length,
            accepted: count - (result.conflicts?.length ?? 0),
            reason: rejected[0]!.reason.slice(0, 300),
          },
          'events rejected',
        );
      return {
        success: rejected.length === 0,
        data: {
          accepted: count - (result.conflicts?.length ?? 0),
          inserted: result.inserted,
          duplicates: result.duplicates,
          rejected: rejected.length,
          errors: rejected.slice(0, 100),
        },
        error: rejected.length ? `${rejected.length} event(s) rejected` : null,
      };
    });
  });

  app.get('/api/races', async () => {
    const { races, notAnalysed, accesses } = await analysis.current();
    return {
      success: true,
      data: toReport(races, await options.store.counts(), options.sourceRoot, notAnalysed, accesses),
      error: null,
    };
  });

  app.get('/api/races/:id', { schema: raceParams }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const report = toReport((await analysis.current()).races, await options.store.counts(), options.sourceRoot);
    const race = report.races.find((r) => r.id === id);
    return race ? { success: true, data: race, error: null } : fail(reply, 'RW_RACE_NOT_FOUND');
  });

  app.get('/api/traces', { schema: tracesQuery }, async (request) => {
    const {
      page,
      page_size: pageSize,
      service,
    } = request.query as { page: number; page_size: number; service?: string };
    const { traces, total } = await options.store.traces(page, pageSize, service);
    const { races } = await analysis.current();
    const hasRace = (id: string) => races.some((r) => r.traceSet.has(id));
    return {
      success: true,
      data: { traces: traces.map((t) => ({ ...t, hasRace: hasRace(t.traceId) })), total, page, pageSize },
      error: null,
    };
  });

  app.get('/api/traces/:id', { schema: traceParams }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const detail = await traceDetail(options.store, analysis, id, options.sourceRoot);
    return detail ? { success: true, data: detail, error: null } : fail(reply, 'RW_TRACE_NOT_FOUND');
  });

  app.get('/api/services', async () => ({
    success: true,
    data: { services: await options.store.services(), edges: await options.store.edges() },
    error: null,
  }));

  app.get('/api/services/:name/dependencies', { schema: serviceParams }, async (request) => {
    const { name } = request.params as { name: string };
    const edges = await options.store.edges();
    return {
      success: true,
      data: {
        service: name,
        calls: edges.filter((e) => e.from === name),
        calledBy: edges.filter((e) => e.to === name),
      },
      error: null,
    };
  });

  return { app, analysis };
}
