/// <reference types="node" preserve="true" />
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { release } from '../context/causality.js';
import { newRootTask, newTrace } from '../context/storage.js';
import type { Task } from '../context/task.js';
import {
  encodeClockWithinBudget,
  extractIncomingHeaders,
  RACEWAY_CLOCK,
  RACEWAY_INTERNAL,
} from '../propagation/headers.js';
import { describeError } from '../record/errors-to-events.js';
import type { Recorder } from '../record/recorder.js';

/** What the middlewares need from a client. */
export interface RequestHost {
  readonly recorder: Recorder;
  readonly serviceName: string;
  readonly instanceId: string;
  readonly enabled: boolean;
  readonly autoPropagate: boolean;
}

/**
 * The request headers recorded with the request (`content-type`, `user-agent`, `content-length`);
 * everything else (cookies, auth) stays out. Read and written with literal names: a loop over the names
 * makes its lookups megamorphic.
 */
function recordedHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const recorded: Record<string, string> = {};
  const contentType = headers['content-type'];
  if (typeof contentType === 'string') recorded['content-type'] = contentType;
  const userAgent = headers['user-agent'];
  if (typeof userAgent === 'string') recorded['user-agent'] = userAgent;
  const contentLength = headers['content-length'];
  if (typeof contentLength === 'string') recorded['content-length'] = contentLength;
  return recorded;
}

export function isInternal(headers: IncomingHttpHeaders): boolean {
  return String(headers[RACEWAY_INTERNAL] ?? '').toLowerCase() === 'true';
}

/** The path without its query string or fragment (query strings often carry tokens). */
export function pathOf(url: string | undefined): string {
  if (!url) return '/';
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

/** Starts the request's root task (continuing the caller's trace when its headers are valid) and records the request. */
export function beginRequest(
  host: RequestHost,
  method: string | undefined,
  url: string | undefined,
  headers: IncomingHttpHeaders,
): Task {
  const incoming = extractIncomingHeaders(headers);
  const task = newRootTask(newTrace(incoming.trace, host), incoming.clock);
  host.recorder.event(
    'HttpRequest',
    method ?? 'GET',
    { method: method ?? 'GET', url: pathOf(url), headers: recordedHeaders(headers), body: null },
    '',
    undefined,
    task,
  );
  return task;
}

export function endRequest(host: RequestHost, task: Task, status: number, startedAt: number): void {
  host.recorder.event(
    'HttpResponse',
    String(status),
    { status, headers: {}, body: null, duration_ms: Math.max(0, Math.round(performance.now() - startedAt)) },
    '',
    undefined,
    task,
  );
}

export function recordRequestError(host: RequestHost, task: Task, error: unknown): void {
  host.recorder.event('Error', 'request', describeError(error), '', undefined, task);
}

/** Responses whose headers get a handler's clock, with the host and task it comes from (kept beside them: see bind-emitter.ts). */
const responseTasks = new WeakMap<object, { host: RequestHost; task: Task }>();
/** Prototypes whose `writeHead` adds the clock (patched once each). */
const patchedWriteHeads = new WeakSet<object>();

function addClock(res: ServerResponse): void {
  const owner = responseTasks.get(res);
  if (!owner || res.headersSent || res.hasHeader(RACEWAY_CLOCK)) return;
  responseTasks.delete(res);
  const { host, task } = owner;
  res.setHeader(
    RACEWAY_CLOCK,
    encodeClockWithinBudget(
      { traceId: task.trace.traceId, spanId: task.trace.spanId },
      host.serviceName,
      host.instanceId,
      release(task),
      task.component,
    ),
  );
}

type WriteHead = (this: ServerResponse, ...args: unknown[]) => ServerResponse;

function clockingWriteHead(original: WriteHead): WriteHead {
  return function (this: ServerResponse, ...args: unknown[]) {
    try {
      addClock(this);
    } catch {
      // The response is written unchanged whatever happens here.
    }
    return original.apply(this, args);
  };
}

/** How a response class's `writeHead` gets the clock: through its prototype (patched once), or per response. */
const writeHeadRoutes = new WeakMap<object, 'prototype' | 'own'>();

/** Patches the prototype that holds `res`'s `writeHead`, when it can be; says which way the clock goes. */
function routeOf(res: ServerResponse): 'prototype' | 'own' {
  const start = Object.getPrototypeOf(res) as object | null;
  if (!start) return 'own';
  let route = writeHeadRoutes.get(start);
  if (route) return route;
  let proto: object | null = start;
  while (proto && !Object.hasOwn(proto, 'writeHead')) proto = Object.getPrototypeOf(proto) as object | null;
  const own = proto ? Object.getOwnPropertyDescriptor(proto, 'writeHead') : undefined;
  if (!proto || Object.isFrozen(proto) || !own || typeof own.value !== 'function' || !own.configurable) route = 'own';
  else {
    if (!patchedWriteHeads.has(proto)) {
      patchedWriteHeads.add(proto);
      Object.defineProperty(proto, 'writeHead', { ...own, value: clockingWriteHead(own.value as WriteHead) });
    }
    route = 'prototype';
  }
  writeHeadRoutes.set(start, route);
  return route;
}

/**
 * Puts the handler's clock on the response (`raceway-clock`) when its headers are written, so the
 * caller's code after the response is ordered after what the handler did. Only a caller that sent a
 * `raceway-clock` of its own reads it (our SDK's outbound calls; other SDKs ignore it), so other
 * requests' responses are left as they are. The response object is not changed: the prototype that
 * holds its `writeHead` (Node's own, which also writes implicit headers through it) looks the response
 * up, patched once per class; a wrapper installed on the response later by another module calls
 * through to it.
 */
export function attachResponseClock(
  host: RequestHost,
  requestHeaders: IncomingHttpHeaders,
  res: ServerResponse,
  task: Task,
): void {
  if (requestHeaders[RACEWAY_CLOCK] === undefined) return;
  responseTasks.set(res, { host, task });
  // Someone already wrapped this response's own writeHead, or its class's cannot be patched.
  if (Object.hasOwn(res, 'writeHead') || routeOf(res) === 'own')
    res.writeHead = clockingWriteHead(res.writeHead as WriteHead) as typeof res.writeHead;
}
