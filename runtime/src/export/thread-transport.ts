import { Worker } from 'node:worker_threads';
import { BATCH_FORMATS_HEADER } from '@raceway/protocol';
import { storage } from '../context/storage.js';
import { reportOnce } from '../diag/diagnostics.js';
import { outcomeOfAnswer, postHeaders } from './response-outcome.js';
import type { SenderThreadData, ThreadPost, ThreadReply } from './sender-thread-source.js';
import { SENDER_THREAD_SOURCE } from './sender-thread-source.js';
import type { SendResult, Transport } from './transport.js';

/**
 * POSTs batches from a thread of their own. The app's thread hands each encoded body over (one message
 * per batch) and reads the answer; the HTTP client's work, and the kernel's work of moving the bytes,
 * run beside the app instead of between its requests, and the HTTP client's code no longer shares the
 * app's own HTTP server's compiled code paths. The thread starts with the first batch, keeps the process
 * alive only while a POST is under way, and loads none of the app's preloads. When it
 * cannot start or stops, batches go from the app's thread (`fallback`), said once.
 */
export class ThreadTransport implements Transport {
  private readonly url: string;
  private worker: Worker | undefined;
  private unavailable = false;
  private closed = false;
  private nextId = 0;
  private readonly pending = new Map<number, (result: SendResult) => void>();

  constructor(
    endpoint: string,
    private readonly apiKey: string | undefined,
    private readonly fallback: Transport,
  ) {
    this.url = new URL(`${endpoint}/events`).href;
  }

  send(body: Buffer, timeoutMs: number): Promise<SendResult> {
    const worker = this.unavailable || this.closed ? undefined : (this.worker ?? this.start());
    if (!worker) return this.fallback.send(body, timeoutMs);
    return new Promise<SendResult>((resolve) => {
      const id = ++this.nextId;
      this.pending.set(id, resolve);
      if (this.pending.size === 1) worker.ref();
      const post: ThreadPost = { id, url: this.url, headers: postHeaders(body.length, this.apiKey), body, timeoutMs };
      try {
        worker.postMessage(post);
      } catch (error) {
        this.settle(id, { kind: 'retryable', reason: `sender thread: ${(error as Error).message}` });
      }
    });
  }

  shutdown(): void {
    this.closed = true;
    this.abandon('the SDK shut down');
    const worker = this.worker;
    this.worker = undefined;
    if (worker) {
      // Lets the thread close its connections and end; it never holds the process open.
      worker.postMessage('close');
      worker.unref();
    }
    this.fallback.shutdown();
  }

  private start(): Worker | undefined {
    try {
      // Outside every context: the thread's events (its messages) are not part of any trace.
      const worker = storage.exit(() => {
        const data: SenderThreadData = { formatsHeader: BATCH_FORMATS_HEADER };
        // No preloads: neither the app's `--require`/`--import` (execArgv) nor those in NODE_OPTIONS, which a
        // worker reads from its env (a preload that instruments or starts an SDK has no business there).
        const { NODE_OPTIONS: _preloads, ...env } = process.env;
        return new Worker(SENDER_THREAD_SOURCE, {
          eval: true,
          execArgv: [],
          env,
          workerData: data,
          name: 'raceway-sender',
        });
      });
      worker.unref();
      worker.on('message', (reply: ThreadReply) => this.settle(reply.id, outcomeOfAnswer(reply)));
      worker.on('error', (error) => this.stopped(worker, `the sender thread failed: ${error.message}`));
      worker.on('exit', (code) => this.stopped(worker, `the sender thread exited (${code})`));
      this.worker = worker;
      return worker;
    } catch (error) {
      this.unavailable = true;
      reportOnce(
        'sender-thread',
        `cannot start the sender thread (${(error as Error).message}); batches are sent from the app's thread`,
      );
      return undefined;
    }
  }

  /** The thread is gone: what it was sending is retried, and later batches go from the app's thread. */
  private stopped(worker: Worker, reason: string): void {
    if (worker !== this.worker) return;
    this.worker = undefined;
    this.unavailable = true;
    if (!this.closed) reportOnce('sender-thread', `${reason}; batches are sent from the app's thread`);
    this.abandon(reason);
  }

  private abandon(reason: string): void {
    const waiting = [...this.pending.keys()];
    for (const id of waiting) this.settle(id, { kind: 'retryable', reason });
  }

  private settle(id: number, result: SendResult): void {
    const resolve = this.pending.get(id);
    if (!resolve) return;
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker?.unref();
    resolve(result);
  }
}
