import type { IncomingMessage, ServerResponse } from 'node:http';
import { bindEmitter } from '../context/bind-emitter.js';
import { currentTask, runInTask, storage } from '../context/storage.js';
import { attachResponseClock, beginRequest, endRequest, isInternal, recordRequestError } from './incoming.js';
import type { RequestHost } from './incoming.js';
import { watchServerResponses, whenFinished } from './response-finish.js';

type Next = (error?: unknown) => void;

/** Express / Connect middleware: one root task per request, request and response events. */
export function expressMiddleware(host: RequestHost) {
  watchServerResponses();
  return function racewayMiddleware(
    req: IncomingMessage & { originalUrl?: string },
    res: ServerResponse,
    next: Next,
  ): void {
    if (!host.enabled) return next();
    if (isInternal(req.headers)) return storage.exit(next);
    const startedAt = performance.now();
    let task;
    try {
      task = beginRequest(host, req.method, req.originalUrl ?? req.url, req.headers);
      attachResponseClock(host, req.headers, res, task);
      const t = task;
      whenFinished(res, (finished) => endRequest(host, t, finished.statusCode, startedAt));
      bindEmitter(req, t);
      bindEmitter(res, t);
    } catch {
      return next();
    }
    runInTask(task, next);
  };
}

/** Express error middleware: records the error in the request's task, then passes it on. */
export function expressErrorHandler(host: RequestHost) {
  return function racewayErrorHandler(error: unknown, _req: IncomingMessage, _res: ServerResponse, next: Next): void {
    if (host.enabled) recordRequestError(host, currentTask(), error);
    next(error);
  };
}
