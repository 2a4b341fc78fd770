import http from 'node:http';
import https from 'node:https';
import { BATCH_FORMATS_HEADER } from '@raceway/protocol';
import { storage } from '../context/storage.js';
import { outcomeOfResponse, postHeaders } from './response-outcome.js';
import type { SendResult, Transport } from './transport.js';

// Captured at load so later wrapping of http.request by anyone cannot route our traffic through it.
const httpRequest = http.request;
const httpsRequest = https.request;

/** POSTs batches to `${endpoint}/events` from the app's thread, with keep-alive, a timeout, and the internal-traffic marker. */
export class HttpTransport implements Transport {
  private readonly url: URL;
  private readonly agent: http.Agent;

  constructor(
    endpoint: string,
    private readonly apiKey: string | undefined,
  ) {
    this.url = new URL(`${endpoint}/events`);
    const Agent = this.url.protocol === 'https:' ? https.Agent : http.Agent;
    this.agent = new Agent({ keepAlive: true, maxSockets: 2 });
  }

  send(body: Buffer, timeoutMs: number): Promise<SendResult> {
    // Outside every context: the SDK's own traffic is not part of any trace.
    return storage.exit(() => this.post(body, timeoutMs));
  }

  private post(body: Buffer, timeoutMs: number): Promise<SendResult> {
    return new Promise<SendResult>((resolve) => {
      const request = (this.url.protocol === 'https:' ? httpsRequest : httpRequest)(this.url, {
        method: 'POST',
        headers: postHeaders(body.length, this.apiKey),
        agent: this.agent,
        timeout: timeoutMs,
      });
      let settled = false;
      const done = (result: SendResult) => {
        if (!settled) {
          settled = true;
          resolve(result);
        }
      };
      request.on('response', (response) => {
        response.resume();
        response.on('error', () => undefined);
        const formats = response.headers[BATCH_FORMATS_HEADER];
        const retryAfter = response.headers['retry-after'];
        done(
          outcomeOfResponse(response.statusCode ?? 0, typeof formats === 'string' ? formats : undefined, retryAfter),
        );
      });
      request.on('timeout', () => {
        request.destroy(new Error(`timed out after ${timeoutMs} ms`));
      });
      request.on('error', (error) => done({ kind: 'retryable', reason: error.message || String(error) }));
      request.end(body);
    });
  }

  shutdown(): void {
    this.agent.destroy();
  }
}
