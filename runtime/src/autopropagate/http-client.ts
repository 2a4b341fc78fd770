import diagnostics from 'node:diagnostics_channel';
import http from 'node:http';
import https from 'node:https';
import { syncBuiltinESMExports } from 'node:module';
import { state } from '../context/process-state.js';
import { activeTask, joinClock } from '../context/storage.js';
import type { Task } from '../context/task.js';
import { buildOutgoing, RACEWAY_INTERNAL, responseClockOf, TRACEPARENT } from '../propagation/headers.js';
import type { PropagationSourceGetter } from './propagation-source.js';

type RequestFn = typeof http.request;

const senders = new WeakMap<object, Task>();

function inject(request: http.ClientRequest, getSource: PropagationSourceGetter): void {
  const task = activeTask();
  if (!task) return;
  const source = task.trace.origin ?? getSource();
  if (!source?.autoPropagate) return;
  // Headers already written (array headers, Expect: 100-continue) cannot take more.
  if (request.headersSent || (request as unknown as { _header?: unknown })._header) return;
  if (String(request.getHeader(RACEWAY_INTERNAL) ?? '') === 'true') return;
  // A caller that set its own traceparent chose the trace: add nothing that could contradict it.
  if (request.hasHeader(TRACEPARENT)) return;
  for (const [name, value] of Object.entries(buildOutgoing(task, source.serviceName, source.instanceId))) {
    if (!request.hasHeader(name)) request.setHeader(name, value);
  }
  senders.set(request, task);
}

function wrap(original: RequestFn, getSource: PropagationSourceGetter): RequestFn {
  return function request(this: unknown, ...args: unknown[]) {
    const req = (original as (...a: unknown[]) => http.ClientRequest).apply(this, args);
    try {
      inject(req, getSource);
    } catch {
      // Propagation is best effort; the request goes out unchanged.
    }
    return req;
  } as RequestFn;
}

/** `http.get` calls the module's internal request, so it needs its own wrapper. */
function wrapGet(request: RequestFn): typeof http.get {
  return function get(this: unknown, ...args: unknown[]) {
    const req = (request as (...a: unknown[]) => http.ClientRequest).apply(this, args);
    req.end();
    return req;
  } as typeof http.get;
}

/**
 * Injects trace headers into node:http / node:https requests made inside a context, and joins the
 * clock the callee returns (read from the response through diagnostics_channel, so no listener is
 * added that could change how the app consumes the response).
 */
export function installHttpClientPropagation(getSource: PropagationSourceGetter): void {
  if (state.installed.has('http')) return;
  state.installed.add('http');
  const httpRequest = wrap(http.request, getSource);
  const httpsRequest = wrap(https.request, getSource);
  http.request = httpRequest;
  http.get = wrapGet(httpRequest);
  https.request = httpsRequest;
  https.get = wrapGet(httpsRequest);
  syncBuiltinESMExports();
  diagnostics.subscribe('http.client.response.finish', (message) => {
    try {
      const { request, response } = message as { request: http.ClientRequest; response: http.IncomingMessage };
      const task = senders.get(request);
      if (!task) return;
      const clock = responseClockOf((name) => response.headers[name]);
      if (clock) joinClock(task, clock);
    } catch {
      // Never throws into the application.
    }
  });
}
