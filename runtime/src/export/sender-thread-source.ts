/// <reference types="node" preserve="true" />
import type * as Http from 'node:http';
import type * as Https from 'node:https';
import type * as WorkerThreads from 'node:worker_threads';

/** A POST the app's thread hands to the sender thread. */
export interface ThreadPost {
  readonly id: number;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: Uint8Array;
  readonly timeoutMs: number;
}

/** The sender thread's answer: the collector's status and the headers that matter, or why no answer came. */
export type ThreadReply =
  | { readonly id: number; readonly status: number; readonly formats?: string; readonly retryAfter?: string }
  | { readonly id: number; readonly error: string };

/** What the sender thread is started with. */
export interface SenderThreadData {
  /** The acknowledgement header naming the batch formats the collector reads. */
  readonly formatsHeader: string;
}

/**
 * The sender thread's whole program. It is started from this function's source text (`eval`), so that it
 * runs the same from the ESM and the CommonJS build and from inside a bundle: it must use nothing but
 * Node's own modules, loaded here with `require`. It does only the network part of a POST; the app's
 * thread reads the answer (response-outcome.ts).
 */
function senderThread(): void {
  /* eslint-disable @typescript-eslint/no-require-imports -- run from its source text, where `require` is what there is */
  const { parentPort, workerData } = require('node:worker_threads') as typeof WorkerThreads;
  const http = require('node:http') as typeof Http;
  const https = require('node:https') as typeof Https;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const { formatsHeader } = workerData as SenderThreadData;
  const port = parentPort!;
  const agents = {
    http: new http.Agent({ keepAlive: true, maxSockets: 2 }),
    https: new https.Agent({ keepAlive: true, maxSockets: 2 }),
  };
  port.on('message', (post: ThreadPost | 'close') => {
    if (post === 'close') {
      agents.http.destroy();
      agents.https.destroy();
      port.close();
      return;
    }
    let replied = false;
    const reply = (answer: Omit<ThreadReply, 'id'>) => {
      if (replied) return;
      replied = true;
      port.postMessage({ id: post.id, ...answer });
    };
    try {
      const url = new URL(post.url);
      const secure = url.protocol === 'https:';
      const request = (secure ? https : http).request(url, {
        method: 'POST',
        headers: post.headers,
        agent: secure ? agents.https : agents.http,
        timeout: post.timeoutMs,
      });
      request.on('response', (response) => {
        response.resume();
        response.on('error', () => undefined);
        const formats = response.headers[formatsHeader];
        const retryAfter = response.headers['retry-after'];
        reply({
          status: response.statusCode ?? 0,
          ...(typeof formats === 'string' ? { formats } : {}),
          ...(retryAfter !== undefined ? { retryAfter } : {}),
        });
      });
      request.on('timeout', () => request.destroy(new Error(`timed out after ${post.timeoutMs} ms`)));
      request.on('error', (error) => reply({ error: error.message || String(error) }));
      request.end(post.body);
    } catch (error) {
      reply({ error: error instanceof Error ? error.message : String(error) });
    }
  });
}

/** The source text a `Worker` is started from (`eval: true`). */
export const SENDER_THREAD_SOURCE = `(${senderThread.toString()})();`;
