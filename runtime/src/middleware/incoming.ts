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

/**
 * Puts the handler's clock on the response (`raceway-clock`) when its headers are written, so the
 * caller's code after the response is ordered after what the handler did. Other SDKs ignore it.
 */
export function attachResponseClock(host: RequestHost, res: ServerResponse, task: Task): void {
  const writeHead = res.writeHead;
  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    try {
      if (!this.headersSent && !this.hasHeader(RACEWAY_CLOCK)) {
        this.setHeader(
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
    } catch {
      // The response is written unchanged whatever happens here.
    }
    return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
  } as typeof res.writeHead;
}
