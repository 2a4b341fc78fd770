/// <reference types="node" preserve="true" />
import diagnostics from 'node:diagnostics_channel';
import type { ServerResponse } from 'node:http';

/** What runs once a response has been handed to the operating system. */
type OnFinish = (res: ServerResponse) => void;

/**
 * node:http's server publishes each request it hands to the app (`http.server.request.start`) and each
 * response it finished (`http.server.response.finish`). A response whose start was just published (the
 * app is handling its request now, synchronously) is therefore one node:http will publish the finish of:
 * it gets no `'finish'` listener of its own (one listener per request, with its closures and the list it
 * turns Node's single listener into, cost more than looking the response up once). Any other response
 * (a middleware after an asynchronous one, http2's compatibility API, a test's own response object)
 * gets the listener.
 */
const REQUEST_START = 'http.server.request.start';
const RESPONSE_FINISH = 'http.server.response.finish';

interface ServerMessage {
  response?: unknown;
}

/** The response of the request node:http handed to the app last, until a middleware takes it. */
let started: unknown;
const finishing = new WeakMap<object, OnFinish>();
/** Whether the channels are subscribed to: undefined until tried; false where they cannot be. */
let subscribed: boolean | undefined;

function onStart(message: unknown): void {
  started = (message as ServerMessage).response;
}

function onFinished(message: unknown): void {
  const res = (message as ServerMessage).response as ServerResponse | undefined;
  if (!res || typeof res !== 'object') return;
  // A response no middleware took (a server of this process without ours) is let go once it finished.
  if (res === started) started = undefined;
  const onFinish = finishing.get(res);
  if (!onFinish) return;
  finishing.delete(res);
  try {
    onFinish(res);
  } catch {
    // A subscriber's exception would surface in the app's process: the response goes on as without us.
  }
}

/** Subscribes to node:http's channels once; middlewares call it when they are made. */
export function watchServerResponses(): void {
  if (subscribed !== undefined) return;
  try {
    diagnostics.subscribe(REQUEST_START, onStart);
    diagnostics.subscribe(RESPONSE_FINISH, onFinished);
    subscribed = true;
  } catch {
    subscribed = false;
  }
}

/** Calls `onFinish(res)` once `res` has finished: through node:http's channel when it publishes `res`, else a listener. */
export function whenFinished(res: ServerResponse, onFinish: OnFinish): void {
  if (subscribed && res === started) {
    started = undefined;
    finishing.set(res, onFinish);
    return;
  }
  res.once('finish', () => onFinish(res));
}
