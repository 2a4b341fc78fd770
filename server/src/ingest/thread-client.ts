import { Worker } from 'node:worker_threads';
import { codedError } from '../store/storage-fault.js';
import type { ThreadCall, ThreadReply, ThreadRequest, ThreadRole } from './thread-messages.js';

interface Waiting {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/**
 * Calls into one ingest thread (`ingest-thread.js`) and matches replies to calls. The thread is started
 * on first use and again on the next call if it ever dies; the calls it held fail (their HTTP requests
 * get a 500 and the SDKs retry).
 */
export class ThreadClient {
  private worker: Worker | undefined;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly script: string,
    private readonly role: ThreadRole,
  ) {}

  /** Starts the thread now rather than on the first call. */
  start(): void {
    if (!this.closed) this.worker ??= this.spawn();
  }

  call(request: ThreadCall): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('the ingest thread is closed'));
    const worker = this.worker ?? this.spawn();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ ...request, id } satisfies ThreadRequest);
    });
  }

  /** Lets the thread finish what it holds (a writer completes its index work) and waits for it to end. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const worker = this.worker;
    if (!worker) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage({ id: 0, op: 'close' } satisfies ThreadRequest);
    await exited;
  }

  private spawn(): Worker {
    const worker = new Worker(this.script, { workerData: this.role, resourceLimits: { maxYoungGenerationSizeMb: 48 } });
    worker.on('message', (reply: ThreadReply) => {
      const waiting = this.waiting.get(reply.id);
      if (!waiting) return;
      this.waiting.delete(reply.id);
      if (reply.ok) waiting.resolve(reply.value);
      else waiting.reject(codedError(reply.error, reply.code));
    });
    const lost = (error: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const waiting of this.waiting.values()) waiting.reject(error);
      this.waiting.clear();
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`the ${this.role.role} thread stopped (exit code ${code})`)));
    this.worker = worker;
    return worker;
  }
}
