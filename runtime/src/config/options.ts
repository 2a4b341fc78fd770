import type { DiagnosticHandler } from '../diag/diagnostics.js';

/** What `new RacewayClient(...)` accepts. Every field is documented in the runtime README. */
export interface RacewayOptions {
  /** Collector base URL, e.g. `http://localhost:8080`. Events go to `${endpoint}/events`. */
  endpoint?: string;
  serviceName?: string;
  /** Module name put on function-call events recorded through the manual API. */
  module?: string;
  apiKey?: string;
  instanceId?: string;
  environment?: string;
  /** Flush period in ms (default 1000). */
  flushIntervalMs?: number;
  /** Events per POST (default 100). */
  batchSize?: number;
  /** Events held while the collector is slow or down (default 50 000); beyond it new events are dropped. */
  maxQueue?: number;
  /**
   * Bytes of encoded (compact) batches held beside the queue while a collector that answers falls behind
   * (default 16 MiB, ~300 000 events; 0: none). A collector that does not answer gets only the queue.
   */
  maxBacklogBytes?: number;
  /** `false` turns every tracking call into a no-op. */
  enabled?: boolean;
  /** Inject trace headers into outbound fetch / node:http requests made inside a context (default true). */
  autoPropagate?: boolean;
  /** Give each timer / immediate callback its own task, forked from the code that scheduled it (default true). */
  instrumentTimers?: boolean;
  /** Variable-name patterns whose values are never captured (strings match as `*` globs). */
  redact?: Array<string | RegExp>;
  /** `false` records accesses without any values. */
  captureValues?: boolean;
  /**
   * Send batches in the compact form to a collector that says it reads it (default true; `raceway serve`
   * does). `false` always sends standard Raceway events. Other collectors get standard events either way.
   */
  compactBatches?: boolean;
  /**
   * POST batches from a thread of their own (default true): the app's thread only encodes them. `false`
   * sends from the app's thread. Falls back to it, said once, where a worker thread cannot start.
   */
  senderThread?: boolean;
  /** Per-request timeout for the sender in ms (default 5000). */
  requestTimeoutMs?: number;
  /** How long `shutdown()` and the exit flush may take in ms (default 2000). */
  shutdownTimeoutMs?: number;
  /** Where the SDK reports its own problems (default: one line to stderr per kind of problem). */
  onDiagnostic?: DiagnosticHandler;
}

export interface ResolvedOptions {
  endpoint: string;
  serviceName: string;
  module: string;
  apiKey: string | undefined;
  instanceId: string;
  environment: string;
  flushIntervalMs: number;
  batchSize: number;
  maxQueue: number;
  maxBacklogBytes: number;
  enabled: boolean;
  autoPropagate: boolean;
  instrumentTimers: boolean;
  redact: RegExp[];
  captureValues: boolean;
  compactBatches: boolean;
  senderThread: boolean;
  requestTimeoutMs: number;
  shutdownTimeoutMs: number;
  onDiagnostic: DiagnosticHandler | undefined;
}
