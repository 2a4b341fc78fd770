import { hostname } from 'node:os';
import { reportOnce } from '../diag/diagnostics.js';
import { RacewayConfigError } from '../errors.js';
import type { RacewayOptions, ResolvedOptions } from './options.js';

/** Encoded batches held while a collector falls behind (see BatchExporter's backlog). */
const DEFAULT_BACKLOG_BYTES = 16 * 1024 * 1024;

type Kind = 'string' | 'boolean' | 'positiveInt' | 'count' | 'patterns' | 'function';

/** One schema for the client options: unknown keys and wrong types are configuration errors. */
const schema: Record<keyof RacewayOptions, Kind> = {
  endpoint: 'string',
  serviceName: 'string',
  module: 'string',
  apiKey: 'string',
  instanceId: 'string',
  environment: 'string',
  flushIntervalMs: 'positiveInt',
  batchSize: 'positiveInt',
  maxQueue: 'positiveInt',
  maxBacklogBytes: 'count',
  enabled: 'boolean',
  autoPropagate: 'boolean',
  instrumentTimers: 'boolean',
  redact: 'patterns',
  captureValues: 'boolean',
  compactBatches: 'boolean',
  senderThread: 'boolean',
  requestTimeoutMs: 'positiveInt',
  shutdownTimeoutMs: 'positiveInt',
  onDiagnostic: 'function',
};

function checkValue(key: string, kind: Kind, value: unknown): void {
  const fail = (expected: string) => {
    throw new RacewayConfigError(`option "${key}" must be ${expected}, got ${JSON.stringify(value) ?? typeof value}`);
  };
  switch (kind) {
    case 'string':
      if (typeof value !== 'string') fail('a string');
      break;
    case 'boolean':
      if (typeof value !== 'boolean') fail('a boolean');
      break;
    case 'positiveInt':
      if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) fail('a positive integer');
      break;
    case 'count':
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) fail('a non-negative integer');
      break;
    case 'patterns':
      if (!Array.isArray(value) || value.some((p) => typeof p !== 'string' && !(p instanceof RegExp))) {
        fail('an array of strings or RegExps');
      }
      break;
    case 'function':
      if (typeof value !== 'function') fail('a function');
      break;
  }
}

/** `*` matches any run of characters; everything else is literal. */
export function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

export function resolveOptions(options: RacewayOptions = {}): ResolvedOptions {
  if (options === null || typeof options !== 'object') {
    throw new RacewayConfigError('options must be an object');
  }
  for (const [key, value] of Object.entries(options)) {
    const kind = schema[key as keyof RacewayOptions];
    if (!kind) {
      throw new RacewayConfigError(`unknown option "${key}"; known options: ${Object.keys(schema).join(', ')}`);
    }
    if (value !== undefined) checkValue(key, kind, value);
  }
  const endpoint = normalizeEndpoint(options.endpoint ?? 'http://localhost:8080');
  return {
    endpoint,
    serviceName: options.serviceName ?? 'unknown-service',
    module: options.module ?? options.serviceName ?? 'app',
    apiKey: options.apiKey || undefined,
    instanceId: options.instanceId ?? `${hostname()}-${process.pid}`,
    environment: options.environment ?? process.env.NODE_ENV ?? 'development',
    flushIntervalMs: options.flushIntervalMs ?? 1000,
    batchSize: options.batchSize ?? 100,
    // Half a second of a busy service (~100k events/s): a collector pausing that long loses nothing.
    maxQueue: options.maxQueue ?? 50_000,
    // Seconds of a busy service's events once encoded: a collector that falls behind under a burst loses none.
    maxBacklogBytes: options.maxBacklogBytes ?? DEFAULT_BACKLOG_BYTES,
    enabled: options.enabled ?? true,
    autoPropagate: options.autoPropagate ?? true,
    instrumentTimers: options.instrumentTimers ?? true,
    redact: (options.redact ?? []).map((p) => (typeof p === 'string' ? globToRegExp(p) : p)),
    captureValues: options.captureValues ?? true,
    compactBatches: options.compactBatches ?? true,
    senderThread: options.senderThread ?? true,
    requestTimeoutMs: options.requestTimeoutMs ?? 5000,
    shutdownTimeoutMs: options.shutdownTimeoutMs ?? 2000,
    onDiagnostic: options.onDiagnostic,
  };
}

/**
 * The collector's base URL, as people write it: `host:port` means http; the ingest path (`/events`), which
 * people copy from the protocol, is the server's and is taken off (once said). Throws when it is not a URL.
 */
export function normalizeEndpoint(given: string): string {
  let endpoint = given.trim();
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint)) endpoint = `http://${endpoint}`;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new RacewayConfigError(
      `option "endpoint" is not a URL: ${given} (expected the server's base URL, e.g. http://127.0.0.1:8080)`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new RacewayConfigError(`option "endpoint" must be an http(s) URL, got ${given}`);
  }
  let path = url.pathname.replace(/\/+$/, '');
  if (/\/events$/.test(path)) {
    path = path.slice(0, -'/events'.length);
    reportOnce(
      'endpoint-path',
      `the endpoint is the server's base URL; "${given}" names its ingest path, so events go to ${url.origin}${path}/events`,
    );
  }
  return `${url.origin}${path}`;
}

/** Options from RACEWAY_* environment variables. */
export function optionsFromEnv(env: NodeJS.ProcessEnv = process.env): RacewayOptions {
  const options: RacewayOptions = {};
  if (env.RACEWAY_ENDPOINT) options.endpoint = env.RACEWAY_ENDPOINT;
  if (env.RACEWAY_SERVICE_NAME) options.serviceName = env.RACEWAY_SERVICE_NAME;
  if (env.RACEWAY_API_KEY) options.apiKey = env.RACEWAY_API_KEY;
  if (env.RACEWAY_MODULE) options.module = env.RACEWAY_MODULE;
  if (env.RACEWAY_INSTANCE_ID) options.instanceId = env.RACEWAY_INSTANCE_ID;
  if (env.RACEWAY_ENVIRONMENT) options.environment = env.RACEWAY_ENVIRONMENT;
  if (env.RACEWAY_ENABLED !== undefined) {
    const value = env.RACEWAY_ENABLED.trim().toLowerCase();
    if (!['true', 'false', '1', '0', ''].includes(value)) {
      throw new RacewayConfigError(`RACEWAY_ENABLED must be true or false, got "${env.RACEWAY_ENABLED}"`);
    }
    options.enabled = !(value === 'false' || value === '0');
  }
  const compactBatches = booleanFromEnv(env, 'RACEWAY_COMPACT_BATCHES');
  if (compactBatches !== undefined) options.compactBatches = compactBatches;
  const senderThread = booleanFromEnv(env, 'RACEWAY_SENDER_THREAD');
  if (senderThread !== undefined) options.senderThread = senderThread;
  const flushIntervalMs = positiveIntFromEnv(env, 'RACEWAY_FLUSH_INTERVAL_MS');
  if (flushIntervalMs !== undefined) options.flushIntervalMs = flushIntervalMs;
  const maxQueue = positiveIntFromEnv(env, 'RACEWAY_MAX_QUEUE');
  if (maxQueue !== undefined) options.maxQueue = maxQueue;
  const maxBacklogBytes = countFromEnv(env, 'RACEWAY_MAX_BACKLOG_BYTES');
  if (maxBacklogBytes !== undefined) options.maxBacklogBytes = maxBacklogBytes;
  return options;
}

function booleanFromEnv(env: NodeJS.ProcessEnv, name: string): boolean | undefined {
  const text = env[name];
  if (text === undefined) return undefined;
  const value = text.trim().toLowerCase();
  if (!['true', 'false', '1', '0'].includes(value))
    throw new RacewayConfigError(`${name} must be true or false, got "${text}"`);
  return value === 'true' || value === '1';
}

function countFromEnv(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const text = env[name]?.trim();
  if (!text) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0)
    throw new RacewayConfigError(`${name} must be a non-negative integer, got "${text}"`);
  return n;
}

function positiveIntFromEnv(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const text = env[name];
  if (!text) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new RacewayConfigError(`${name} must be a positive integer, got "${text}"`);
  return n;
}
