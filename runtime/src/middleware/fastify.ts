import type { IncomingMessage, ServerResponse } from 'node:http';
import { bindEmitter } from '../context/bind-emitter.js';
import { runInTask, storage } from '../context/storage.js';
import type { Task } from '../context/task.js';
import { attachResponseClock, beginRequest, endRequest, isInternal, recordRequestError } from './incoming.js';
import type { RequestHost } from './incoming.js';

/** The parts of Fastify's request/reply the plugin uses (no dependency on fastify's types). */
interface FastifyRequestLike {
  raw: IncomingMessage;
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
}
interface FastifyReplyLike {
  raw: ServerResponse;
  statusCode: number;
}
export type Done = (error?: Error) => void;
export interface FastifyLike {
  addHook(name: string, hook: (...args: never[]) => unknown): unknown;
}

const kTask = Symbol('raceway.task');
const kStarted = Symbol('raceway.started');
const kInternal = Symbol('raceway.internal');
type Tagged = FastifyRequestLike & { [kTask]?: Task; [kStarted]?: number; [kInternal]?: boolean };

/**
 * Fastify 5 plugin. The request's task is entered in onRequest and entered again in preHandler:
 * body parsing runs in socket callbacks, outside the onRequest hook's context.
 */
export function fastifyPlugin(host: RequestHost) {
  function racewayPlugin(fastify: FastifyLike, _options: unknown, done: Done): void {
    fastify.addHook('onRequest', ((request: Tagged, reply: FastifyReplyLike, next: Done) => {
      if (!host.enabled) return next();
      // The SDK's own traffic runs outside every trace.
      if (isInternal(request.headers)) {
        request[kInternal] = true;
        return storage.exit(() => next());
      }
      let task: Task;
      try {
        request[kStarted] = performance.now();
        task = beginRequest(host, request.method, request.url, request.headers);
        request[kTask] = task;
        attachResponseClock(host, request.headers, reply.raw, task);
        bindEmitter(request.raw, task);
        bindEmitter(reply.raw, task);
      } catch {
        return next();
      }
      runInTask(task, () => next());
    }) as never);
    fastify.addHook('preHandler', ((request: Tagged, _reply: FastifyReplyLike, next: Done) => {
      const task = request[kTask];
      if (task) storage.run({ task }, () => next());
      else if (request[kInternal]) storage.exit(() => next());
      else next();
    }) as never);
    fastify.addHook('onError', ((request: Tagged, _reply: FastifyReplyLike, error: Error, next: Done) => {
      const task = request[kTask];
      if (task) recordRequestError(host, task, error);
      next();
    }) as never);
    fastify.addHook('onResponse', ((request: Tagged, reply: FastifyReplyLike, next: Done) => {
      const task = request[kTask];
      if (task) endRequest(host, task, reply.statusCode, request[kStarted] ?? performance.now());
      next();
    }) as never);
    done();
  }
  // Hooks apply to the whole app, like fastify-plugin's skip-override.
  const tagged = racewayPlugin as typeof racewayPlugin & Record<symbol, unknown>;
  tagged[Symbol.for('skip-override')] = true;
  tagged[Symbol.for('fastify.display-name')] = '@raceway/runtime';
  tagged[Symbol.for('plugin-meta')] = { name: '@raceway/runtime', fastify: '>=4' };
  return racewayPlugin;
}
