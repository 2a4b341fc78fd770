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

/** The collector's answer to one POST: its status and the headers that matter, or why no answer came. */
export type PostAnswer =
  { readonly status: number; readonly formats?: string; readonly retryAfter?: string } | { readonly error: string };

/** The sender thread's answer to the app's thread. */
export type ThreadReply = PostAnswer & { readonly id: number };

/** What the sender thread is started with. */
export interface SenderThreadData {
  /** The acknowledgement header naming the batch formats the collector reads. */
  readonly formatsHeader: string;
}

/**
 * One POST of a batch body through Node's HTTP client, with a timeout; `done` is called once. Both
 * transports run it: the app-thread one directly, the sender thread from its source text, so it uses
 * nothing but its parameters.
 */
export function postOnce(
  request: typeof Http.request,
  url: URL,
  options: { headers: Record<string, string>; agent: Http.Agent; timeoutMs: number; formatsHeader: string },
  body: Uint8Array,
  done: (answer: PostAnswer) => void,
): void {
  let answered = false;
  const answer = (result: PostAnswer) => {
    if (answered) return;
    answered = true;
    done(result);
  };
  try {
    const post = request(url, {
      method: 'POST',
      headers: options.headers,
      agent: options.agent,
      timeout: options.timeoutMs,
    });
    post.on('response', (response) => {
      response.resume();
      response.on('error', () => undefined);
      const formats = response.headers[options.formatsHeader];
      const retryAfter = response.headers['retry-after'];
      answer({
        status: response.statusCode ?? 0,
        ...(typeof formats === 'string' ? { formats } : {}),
        ...(retryAfter !== undefined ? { retryAfter } : {}),
      });
    });
    post.on('timeout', () => post.destroy(new Error(`timed out after ${options.timeoutMs} ms`)));
    post.on('error', (error) => answer({ error: error.message || String(error) }));
    post.end(body);
  } catch (error) {
    answer({ error: error instanceof Error ? error.message : String(error) });
  }
}

/**
 * The sender thread's program. It is started from source text (`eval`), so that it runs the same from
 * the ESM and the CommonJS build and from inside a bundle: it uses only Node's own modules, loaded here
 * with `require`, and `postOnce`, whose source goes with it. The app's thread reads the answers
 * (response-outcome.ts).
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
    const reply = (answer: PostAnswer) => port.postMessage({ ...answer, id: post.id });
    try {
      const url = new URL(post.url);
      const secure = url.protocol === 'https:';
      postOnce(
        secure ? https.request : http.request,
        url,
        { headers: post.headers, agent: secure ? agents.https : agents.http, timeoutMs: post.timeoutMs, formatsHeader },
        post.body,
        reply,
      );
    } catch (error) {
      reply({ error: error instanceof Error ? error.message : String(error) });
    }
  });
}

/** The source text a `Worker` is started from (`eval: true`). */
export const SENDER_THREAD_SOURCE = `const postOnce = ${postOnce.toString()};\n(${senderThread.toString()})();`;
