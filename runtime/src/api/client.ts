/// <reference types="node" preserve="true" />
import { gate as gateValue } from '../explore/gate.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { installFetchPropagation } from '../autopropagate/fetch.js';
import { installHttpClientPropagation } from '../autopropagate/http-client.js';
import type { PropagationSource } from '../autopropagate/propagation-source.js';
import type { RacewayOptions, ResolvedOptions } from '../config/options.js';
import { optionsFromEnv, resolveOptions } from '../config/resolve-options.js';
import { activeTask, newRootTask, newTrace, runInTask } from '../context/storage.js';
import { installTimerTasks } from '../context/timer-tasks.js';
import { installAwaitJoins, joinedWhenAwaited } from '../context/await-joins.js';
import { callTracedAsync, callTracedSync } from '../context/traced-call.js';
import { reportOnce, setDiagnosticHandler } from '../diag/diagnostics.js';
import { RacewayContextError } from '../errors.js';
import type { ExporterStats } from '../export/batch-exporter.js';
import { BatchExporter } from '../export/batch-exporter.js';
import { HttpTransport } from '../export/http-transport.js';
import { ThreadTransport } from '../export/thread-transport.js';
import { MemorySink } from '../export/memory-sink.js';
import { Redactor } from '../export/wire-event.js';
import type { ServiceIdentity } from '../export/wire-event.js';
import { acquireLock, releaseLock } from '../locks/lock-clocks.js';
import type { MutexLike } from '../locks/mutex-shapes.js';
import { acquireMutex, FifoMutex } from '../locks/mutex-shapes.js';
import { expressErrorHandler, expressMiddleware } from '../middleware/express.js';
import { fastifyPlugin } from '../middleware/fastify.js';
import type { RequestHost } from '../middleware/incoming.js';
import { wrapHttpListener } from '../middleware/node-http.js';
import { buildOutgoing } from '../propagation/headers.js';
import type { AccessType, EventRecord, EventSink } from '../record/event-record.js';
import { fieldsOf } from '../record/event-record.js';
import { Recorder } from '../record/recorder.js';
import { adoptAsDefault, getDefaultClient, offerDefaultClient } from './default-client.js';
import type { AdoptableClient } from './default-client.js';

const NOOP_SINK: EventSink = { append: () => undefined };
const ACCESS_TYPES = new Set(['Read', 'Write', 'AtomicRead', 'AtomicWrite', 'AtomicRMW']);

/**
 * The Raceway SDK client. The first client constructed becomes the process default, through which
 * instrumented code records. Tracking methods never throw and never block.
 */
export class RacewayClient implements RequestHost, PropagationSource, AdoptableClient {
  readonly options: ResolvedOptions;
  /** @internal the hot path used by middlewares and the instrument entry. */
  readonly recorder: Recorder;
  private readonly exporter: BatchExporter | undefined;
  private readonly memory: MemorySink | undefined;
  private readonly identity: ServiceIdentity;
  private readonly builtInMutexes = new Map<string, FifoMutex>();
  private readonly sink: EventSink;

  constructor(options: RacewayOptions = {}, sinkKind: 'http' | 'memory' = 'http', provisional = false) {
    this.options = resolveOptions(options);
    const o = this.options;
    if (o.onDiagnostic) setDiagnosticHandler(o.onDiagnostic);
    this.identity = {
      serviceName: o.serviceName,
      environment: o.environment,
      instanceId: o.instanceId,
      module: o.module,
    };
    const redactor = new Redactor(o.redact);
    let sink: EventSink = NOOP_SINK;
    if (o.enabled && sinkKind === 'memory') {
      sink = this.memory = new MemorySink(this.identity, redactor);
    } else if (o.enabled) {
      const fromAppThread = new HttpTransport(o.endpoint, o.apiKey);
      const transport = o.senderThread ? new ThreadTransport(o.endpoint, o.apiKey, fromAppThread) : fromAppThread;
      sink = this.exporter = new BatchExporter(transport, this.identity, redactor, o);
    }
    this.recorder = new Recorder(sink, o.captureValues, o.enabled);
    this.sink = sink;
    offerDefaultClient(this, { provisional });
    if (o.enabled) {
      const source = () => getDefaultClient<RacewayClient>();
      installFetchPropagation(source);
      installHttpClientPropagation(source);
      if (o.instrumentTimers) installTimerTasks();
      installAwaitJoins();
    }
  }

  /** A client configured from RACEWAY_* environment variables. */
  static fromEnv(overrides: RacewayOptions = {}): RacewayClient {
    return new RacewayClient(envOrDisabled(overrides));
  }

  /**
   * @internal The default client instrumented code makes from the environment when it records before the
   * app built a client: the first client the app builds takes its place and its unsent events.
   */
  static provisionalFromEnv(): RacewayClient {
    return new RacewayClient(envOrDisabled({}), 'http', true);
  }

  /**
   * Makes this client the process default: instrumented code records through it. Events a provisional
   * default (made from the environment before the app built a client) holds move to this client.
   */
  makeDefault(): this {
    adoptAsDefault(this);
    return this;
  }

  /** @internal see AdoptableClient */
  surrender(): EventRecord[] {
    return this.exporter?.surrender() ?? this.memory?.surrender() ?? [];
  }

  /** @internal see AdoptableClient */
  adopt(records: unknown[]): void {
    for (const r of records as EventRecord[]) this.sink.append(...fieldsOf(r));
  }

  /** A client that keeps its events in memory (`memoryEvents()`) instead of sending them: for tests. */
  static inMemory(options: RacewayOptions = {}): RacewayClient {
    return new RacewayClient(options, 'memory');
  }

  get enabled(): boolean {
    return this.options.enabled;
  }
  get serviceName(): string {
    return this.options.serviceName;
  }
  get instanceId(): string {
    return this.options.instanceId;
  }
  get autoPropagate(): boolean {
    return this.options.enabled && this.options.autoPropagate;
  }

  /** Records a read or write of a shared variable. `location` is `path:line:col` when known. */
  trackStateChange(
    variable: string,
    oldValue: unknown,
    newValue: unknown,
    accessType: AccessType,
    location = '',
  ): void {
    const access = ACCESS_TYPES.has(accessType) ? accessType : 'Write';
    this.recorder.stateChange(String(variable), oldValue, newValue, access, location);
  }

  /**
   * `await client.gate(x)` where a manually tracked unit awaits: `x` itself, unless `raceway run --explore`
   * holds this unit here to make a predicted race happen (what instrumented code does at every await).
   */
  gate<T>(value: T): T | Promise<Awaited<T>> {
    return gateValue(value);
  }

  /** Records a call without timing it (use trackFunction to time it and fork a task). */
  trackFunctionCall(name: string, args: unknown, location = ''): void {
    this.recorder.event('FunctionCall', String(name), { module: this.options.module }, location, args);
  }

  /** Runs `fn` as a traced async call: a child task of the caller, joined when the caller awaits it. */
  trackFunction<R>(name: string, args: unknown, fn: () => R | PromiseLike<R>, location = ''): Promise<Awaited<R>> {
    return callTracedAsync(this.recorder, { name: String(name), module: this.options.module, location }, args, fn);
  }

  /** Runs `fn` synchronously in the caller's task, recording the call, its duration and any error. */
  trackFunctionSync<R>(name: string, args: unknown, fn: () => R, location = ''): R {
    return callTracedSync(this.recorder, { name: String(name), module: this.options.module, location }, args, fn);
  }

  /** Records a response for the current request when no middleware does it. */
  trackHttpResponse(status: number, durationMs: number): void {
    this.recorder.event('HttpResponse', String(status), {
      status: Math.trunc(Number(status)) || 0,
      headers: {},
      body: null,
      duration_ms: Math.max(0, Math.round(Number(durationMs) || 0)),
    });
  }

  /**
   * Headers for an outbound call: traceparent, tracestate (when the trace has one), raceway-clock.
   * `extra` headers win. Throws RacewayContextError outside a context.
   */
  propagationHeaders(extra: Record<string, string> = {}): Record<string, string> {
    const task = activeTask();
    if (!task) throw new RacewayContextError('propagationHeaders()');
    return { ...buildOutgoing(task, this.options.serviceName, this.options.instanceId), ...extra };
  }

  /** Runs `fn` as the root task of a new trace (a job, a CLI command, a test). */
  startTrace<R>(name: string, fn: () => R): R {
    const task = newRootTask(newTrace(undefined, this));
    const result = runInTask(task, () => {
      this.recorder.event('FunctionCall', String(name), { module: this.options.module }, '', [], task);
      return fn();
    });
    // Awaiting the trace joins it: what follows is ordered after everything the trace did.
    return joinedWhenAwaited(result, task);
  }

  /** Express / Connect middleware. */
  middleware() {
    return expressMiddleware(this);
  }

  /** Express error middleware (register after the routes) that records errors into the request's trace. */
  errorHandler() {
    return expressErrorHandler(this);
  }

  /** Wraps a node:http request listener. */
  wrapHandler<Req extends IncomingMessage, Res extends ServerResponse>(listener: (req: Req, res: Res) => unknown) {
    return wrapHttpListener(this, listener);
  }

  /** Fastify 5 plugin: `app.register(raceway.fastifyPlugin())`. */
  fastifyPlugin() {
    return fastifyPlugin(this);
  }

  /**
   * Runs `fn` holding `lockId`: `withLock(id, mutex, fn)` with an async-mutex style or lock()/unlock()
   * mutex, or `withLock(id, fn)` with an in-process FIFO mutex per id. Release → next acquire is a
   * happens-before edge, and both are recorded.
   */
  async withLock<R>(
    lockId: string,
    mutexOrFn: MutexLike | (() => R | PromiseLike<R>),
    maybeFn?: () => R | PromiseLike<R>,
  ): Promise<Awaited<R>> {
    let mutex: MutexLike;
    let fn: () => R | PromiseLike<R>;
    if (typeof mutexOrFn === 'function') {
      fn = mutexOrFn;
      let own = this.builtInMutexes.get(lockId);
      if (!own) this.builtInMutexes.set(lockId, (own = new FifoMutex()));
      mutex = own;
    } else {
      mutex = mutexOrFn;
      fn = maybeFn as () => R | PromiseLike<R>;
    }
    const release = await acquireMutex(mutex);
    this.trackLockAcquire(lockId);
    try {
      return await fn();
    } finally {
      this.trackLockRelease(lockId);
      release();
    }
  }

  trackLockAcquire(lockId: string, lockType = 'Mutex', location = ''): void {
    acquireLock(this.recorder, String(lockId), lockType, location);
  }

  trackLockRelease(lockId: string, lockType = 'Mutex', location = ''): void {
    releaseLock(this.recorder, String(lockId), lockType, location);
  }

  /** Sends everything recorded so far. */
  async flush(): Promise<void> {
    await this.exporter?.flush();
  }

  /** Flushes within `shutdownTimeoutMs` and stops; later events are dropped and counted. */
  async shutdown(): Promise<void> {
    await this.exporter?.shutdown();
  }

  stats(): ExporterStats {
    if (this.exporter) return this.exporter.stats();
    return { sent: 0, dropped: 0, retried: 0, queued: this.memory?.records.length ?? 0 };
  }

  /** Events recorded by an `inMemory()` client, in wire form. */
  memoryEvents(): Array<Record<string, unknown>> {
    return this.memory?.wireEvents() ?? [];
  }

  /** Forgets the events of an `inMemory()` client. */
  clearMemoryEvents(): void {
    this.memory?.clear();
  }

  /** The id of the current task (for logs and tests), or undefined outside every context. */
  currentTaskId(): string | undefined {
    return activeTask()?.id;
  }
}

/**
 * Options from the environment under `overrides`. Options given in code are checked as they are (a mistake
 * there throws); a bad environment must not take the app down: tracking is then off, said in one line.
 */
function envOrDisabled(overrides: RacewayOptions): RacewayOptions {
  resolveOptions(overrides); // throws for mistakes in code
  if (overrides.onDiagnostic) setDiagnosticHandler(overrides.onDiagnostic);
  try {
    const merged = { ...optionsFromEnv(), ...overrides };
    resolveOptions(merged);
    return merged;
  } catch (error) {
    reportOnce(
      'config',
      `${error instanceof Error ? error.message : String(error)} (from RACEWAY_* environment variables); tracking is off`,
    );
    return { ...overrides, enabled: false };
  }
}

/**
 * Makes `client` the process default (instrumented code records through it), taking over the events of a
 * default that instrumented code made from the environment before the app built a client.
 */
export function setDefaultClient(client: RacewayClient): RacewayClient {
  return client.makeDefault();
}
