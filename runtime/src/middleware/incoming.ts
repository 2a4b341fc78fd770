/// <reference types="node" preserve="true" />
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { release } from '../context/causality.js';
import { newRootTask, newTrace } from '../context/storage.js';
import type { Task } from '../context/task.js';
import { encodeClockWithinBudget, extractIncoming, RACEWAY_CLOCK, RACEWAY_INTERNAL } from '../propagation/headers.js';
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

/** Request headers recorded with the request; everything else (cookies, auth) stays out. */
const RECORDED_HEADERS = ['content-type', 'user-agent', 'content-length'];

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
  const incoming = extractIncoming((name) => headers[name]);
  const task = newRootTask(newTrace(incoming.trace, host), incoming.clock);
  const recorded: Record<string, string> = {};
  for (const name of RECORDED_HEADERS) {
    const value = headers[name];
    if (typeof value === 'string') recorded[name] = value;
  }
  host.recorder.event(
    'HttpRequest',
    method ?? 'GET',
    { method: method ?? 'GET', url: pathOf(url), headers: recorded, body: null },
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

/**
 * Puts the handler's clock on the response (`raceway-clock`) when its headers are written, so the
 * caller's code after the response is ordered after what the handler did. Other SDKs ignore it. The
 * response object is not changed: the prototype that holds its `writeHead` (Node's own, which also writes
 * implicit headers through it) looks the response up, patched once; a wrapper installed on the response
 * later by another module calls through to it.
 */
export function attachResponseClock(host: RequestHost, res: ServerResponse, task: Task): void {
  let proto = Object.getPrototypeOf(res) as object | null;
  while (proto && !Object.hasOwn(proto, 'writeHead')) proto = Object.getPrototypeOf(proto) as object | null;
  responseTasks.set(res, { host, task });
  if (Object.hasOwn(res, 'writeHead') || !proto || Object.isFrozen(proto)) {
    // Someone already wrapped this response's own writeHead, or the prototype cannot be patched.
    res.writeHead = clockingWriteHead(res.writeHead as WriteHead) as typeof res.writeHead;
    return;
  }
  if (patchedWriteHeads.has(proto)) return;
  patchedWriteHeads.add(proto);
  const own = Object.getOwnPropertyDescriptor(proto, 'writeHead');
  if (!own || typeof own.value !== 'function' || !own.configurable) {
    res.writeHead = clockingWriteHead(res.writeHead as WriteHead) as typeof res.writeHead;
    patchedWriteHeads.delete(proto);
    return;
  }
  Object.defineProperty(proto, 'writeHead', { ...own, value: clockingWriteHead(own.value as WriteHead) });
}
