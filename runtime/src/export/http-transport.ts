import http from 'node:http';
import https from 'node:https';
import { BATCH_FORMATS_HEADER } from '@raceway/protocol';
import { storage } from '../context/storage.js';
import { outcomeOfAnswer, postHeaders } from './response-outcome.js';
import { postOnce } from './sender-thread-source.js';
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
    return storage.exit(
      () =>
        new Promise<SendResult>((resolve) =>
          postOnce(
            this.url.protocol === 'https:' ? httpsRequest : httpRequest,
            this.url,
            {
              headers: postHeaders(body.length, this.apiKey),
              agent: this.agent,
              timeoutMs,
              formatsHeader: BATCH_FORMATS_HEADER,
            },
            body,
            (answer) => resolve(outcomeOfAnswer(answer)),
          ),
        ),
    );
  }

  shutdown(): void {
    this.agent.destroy();
  }
}
