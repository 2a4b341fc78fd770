import type { IncomingMessage, ServerResponse } from 'node:http';
import { bindEmitter } from '../context/bind-emitter.js';
import { runInTask, storage } from '../context/storage.js';
import type { Task } from '../context/task.js';
import { attachResponseClock, beginRequest, endRequest, isInternal, recordRequestError } from './incoming.js';
import type { RequestHost } from './incoming.js';
import { watchServerResponses, whenFinished } from './response-finish.js';

type Listener<Req extends IncomingMessage, Res extends ServerResponse> = (req: Req, res: Res) => unknown;

/** Wraps a node:http request listener. Returns and throws exactly what the listener does. */
export function wrapHttpListener<Req extends IncomingMessage, Res extends ServerResponse>(
  host: RequestHost,
  listener: Listener<Req, Res>,
) {
  watchServerResponses();
  return function racewayListener(this: unknown, req: Req, res: Res): unknown {
    if (!host.enabled) return listener.call(this, req, res);
    if (isInternal(req.headers)) return storage.exit(() => listener.call(this, req, res));
    const startedAt = performance.now();
    let task: Task;
    try {
      task = beginRequest(host, req.method, req.url, req.headers);
      attachResponseClock(host, req.headers, res, task);
      whenFinished(res, (finished) => endRequest(host, task, finished.statusCode, startedAt));
      bindEmitter(req, task);
      bindEmitter(res, task);
    } catch {
      return listener.call(this, req, res);
    }
    return runInTask(task, () => {
      let result: unknown;
      try {
        result = listener.call(this, req, res);
      } catch (error) {
        recordRequestError(host, task, error);
        throw error;
      }
      if (result && typeof (result as PromiseLike<unknown>).then === 'function') {
        // Rethrowing keeps an unhandled rejection unhandled, as it was without us.
        return (result as Promise<unknown>).then(undefined, (error: unknown) => {
          recordRequestError(host, task, error);
          throw error;
        });
      }
      return result;
    });
  };
}
