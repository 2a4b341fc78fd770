import type { CompactVersion } from '@raceway/protocol';
import { DROPPED_EVENT } from '@raceway/protocol';
import { currentSegment } from '../clock/segments.js';
import { state } from '../context/process-state.js';
import { getMainTask } from '../context/storage.js';
import { reportOnce } from '../diag/diagnostics.js';
import { traceIdToUuid } from '../propagation/ids.js';
import type { TraceInfo } from '../context/task.js';
import type { EventRecord, EventSink, RecordFields } from '../record/event-record.js';
import { CLOCK_FOLD_EVENT } from '../record/event-record.js';
import type { BatchBody } from './batch-body.js';
import { BatchEncoder } from './batch-body.js';
import type { Clock } from './clock.js';
import { systemClock } from './clock.js';
import { RecordRing } from './record-ring.js';
import { RetryingTransport } from './retrying-transport.js';
import type { Transport } from './transport.js';
import type { Redactor, ServiceIdentity } from './wire-event.js';

export { MAX_BODY_BYTES } from './batch-body.js';

export interface ExporterStats {
  /** Events the collector acknowledged. */
  sent: number;
  /** Events given up on: queue full, collector rejected them, retries or the shutdown deadline ran out. */
  dropped: number;
  /** Retried POSTs. */
  retried: number;
  /** Events waiting to be sent. */
  queued: number;
  /** Traces dropped whole (the queue was over its high-water mark when they started). */
  droppedTraces?: number;
  /** Traces cut short (the queue was full while they ran): the server leaves them out of its analysis. */
  truncatedTraces?: number;
  /** Bytes of encoded batches waiting behind a collector that fell behind (see `maxBacklogBytes`). */
  backlogBytes?: number;
  /** The most the backlog held at once: how far the collector fell behind. */
  backlogPeakBytes?: number;
}

/** One `exit` listener for every exporter of this build (a listener each would trip Node's leak warning). */
const exitWatchers = new Set<() => void>();
let watchingExit = false;
function watchExit(watcher: () => void): void {
  if (!watchingExit) {
    watchingExit = true;
    process.on('exit', () => {
      for (const w of exitWatchers) w();
    });
  }
  exitWatchers.add(watcher);
}

/** Traces that start while the queue is fuller than this share of it are dropped whole. */
const HIGH_WATER = 0.75;
/** Truncated trace ids reported to the server, at most (the count goes on). */
const MAX_TRUNCATED_IDS = 1000;
/** The name of the event that tells the server what was not sent (a `Custom` event). */
export { DROPPED_EVENT };

export interface ExporterConfig {
  /** Where events go, for the line printed at exit when some were not delivered. */
  endpoint?: string;
  batchSize: number;
  maxQueue: number;
  flushIntervalMs: number;
  requestTimeoutMs: number;
  shutdownTimeoutMs: number;
  /** Send compact batches to a collector that says it reads them (default true). */
  compactBatches?: boolean;
  /**
   * Encoded (compact) batches held beside the queue, in bytes, while a collector that answers is slower
   * than the app records (default 0: none).
   */
  maxBacklogBytes?: number;
}

/** How many more events a compact POST carries than a standard one. */
const COMPACT_FACTOR = 10;

/** After a collector refused a compact batch, its word that it reads them is not taken for this long. */
const COMPACT_DISTRUST_MS = 10 * 60_000;

/** Compact batches a POST carries under a backlog (~5 000 events, a few milliseconds of encoding). */
const BACKLOG_BATCHES = 5;

/** A batch taken from the queue: counted as queued (stats) until it is acknowledged or given up on. */
interface PendingBatch {
  count: number;
  abandoned: boolean;
}

/**
 * The batcher: bounded queue → batches → retrying transport → transport. Accepting a record is a push;
 * everything else runs on the clock's timers, which never keep the process alive. At most one POST is in
 * flight, so the collector receives each process's events in recording order.
 */
export class BatchExporter implements EventSink {
  private readonly queue: RecordRing;
  private readonly stats_: ExporterStats = { sent: 0, dropped: 0, retried: 0, queued: 0 };
  private pumping: Promise<void> | undefined;
  private soon: unknown;
  private readonly interval: unknown;
  private readonly sender: RetryingTransport;
  private readonly encoder: BatchEncoder;
  /** The compact batch version the next batches go in: the newest the collector said it reads (on its last acknowledgement). */
  private compact: CompactVersion | undefined;
  /** When a compact batch was last refused as not understood. */
  private compactRefusedAt = -Infinity;
  private deadline = Infinity;
  private stopped = false;
  private exitFlushPending = false;
  /** Batches taken from the queue and not yet acknowledged or given up on (the backlog's included). */
  private readonly inFlight = new Set<PendingBatch>();
  /**
   * Compact bodies encoded ahead of their turn, oldest first: while a POST is under way and the queue
   * passes two POSTs' worth, its head is encoded here (the same work sending it would do later), so a
   * collector that answers but falls behind costs memory in encoded bytes (~25-60 per event) rather than
   * records, up to `maxBacklogBytes`, before any trace is dropped.
   */
  private readonly backlog: Array<{ body: BatchBody; batch: PendingBatch }> = [];
  private backlogBytes = 0;
  private backlogPeakBytes = 0;
  /** The last delivery reached the collector: only then is work encoded ahead for it. */
  private answering = false;
  private readonly onBeforeExit = () => this.exitFlush();
  private readonly onExit = () => this.sayUndelivered();
  /**
   * Each trace is admitted or dropped whole at its first event: the decision is kept on the trace
   * (`admittedBy`), or here for a trace another exporter saw first (a client that took over from another).
   */
  private readonly admitted = new WeakMap<object, boolean>();
  private lastTrace: object | undefined;
  private lastAdmitted = true;
  private droppedTraces = 0;
  private readonly truncated = new Set<string>();
  private truncatedCount = 0;
  private reportedDrops = '0:0';
  private lastFailure: string | undefined;

  constructor(
    transport: Transport,
    private readonly identity: ServiceIdentity,
    redactor: Redactor,
    private readonly config: ExporterConfig,
    private readonly clock: Clock = systemClock,
  ) {
    this.queue = new RecordRing(config.maxQueue);
    this.encoder = new BatchEncoder(identity, redactor);
    this.sender = new RetryingTransport(transport, this.encoder, clock, config.requestTimeoutMs);
    this.interval = clock.setInterval(() => void this.pump(), config.flushIntervalMs);
    process.on('beforeExit', this.onBeforeExit);
    watchExit(this.onExit);
  }

  // Fourteen named parameters rather than a rest array: this runs for every event, and an array per call
  // was most of the garbage the hot path made.
  append(
    seq: RecordFields[0],
    kind: RecordFields[1],
    task: RecordFields[2],
    clock: RecordFields[3],
    component: RecordFields[4],
    segment: RecordFields[5],
    time: RecordFields[6],
    prevSeq: RecordFields[7],
    locks: RecordFields[8],
    name: RecordFields[9],
    oldValue: RecordFields[10],
    newValue: RecordFields[11],
    location: RecordFields[12],
    detail: RecordFields[13],
  ): void {
    if (this.stopped) {
      this.stats_.dropped++;
      return;
    }
    // A trace is sent whole or not at all: a unit missing its lock acquire or its first read would make
    // races appear and disappear. The decision is taken at the trace's first event.
    const trace = task.trace;
    let admitted: boolean;
    if (trace === this.lastTrace) admitted = this.lastAdmitted;
    else if (trace === getMainTask().trace)
      admitted = true; // the process's own trace never ends: events go one by one
    else if (name === CLOCK_FOLD_EVENT)
      admitted = true; // a fold orders events of every trace that saw it
    else {
      let known: boolean | undefined;
      if (trace.admittedBy === this) known = trace.admitted;
      else if (trace.admittedBy !== undefined) known = this.admitted.get(trace); // another exporter's trace too
      if (known === undefined) {
        admitted = this.queue.size < this.config.maxQueue * HIGH_WATER;
        this.noteAdmission(trace, admitted);
        if (!admitted) {
          this.droppedTraces++;
          reportOnce(
            'queue-high',
            `event queue over ${HIGH_WATER * 100}% of ${this.config.maxQueue}${this.backlogSaying()}; new traces are dropped whole until the collector catches up`,
          );
        }
      } else admitted = known;
      this.lastTrace = trace;
      this.lastAdmitted = admitted;
    }
    if (!admitted) {
      this.stats_.dropped++;
      return;
    }
    if (
      !this.queue.push(
        seq,
        kind,
        task,
        clock,
        component,
        segment,
        time,
        prevSeq,
        locks,
        name,
        oldValue,
        newValue,
        location,
        detail,
      )
    ) {
      this.stats_.dropped++;
      if (trace === getMainTask().trace) {
        reportOnce(
          'queue-full',
          `event queue full (${this.config.maxQueue})${this.backlogSaying()}; dropping events until the collector catches up`,
        );
        return;
      }
      // Full even for traces already under way: this one can no longer be complete; the server is told.
      this.noteAdmission(trace, false);
      this.lastAdmitted = false;
      this.truncatedCount++;
      if (this.truncated.size < MAX_TRUNCATED_IDS) this.truncated.add(trace.traceId);
      reportOnce(
        'queue-full',
        `event queue full (${this.config.maxQueue})${this.backlogSaying()}; traces under way are cut short and left out of the analysis`,
      );
      return;
    }
    this.exitFlushPending = true;
    if (this.queue.size >= this.perPost() && this.soon === undefined) {
      this.soon = this.clock.setTimeout(() => {
        this.soon = undefined;
        if (this.pumping) this.encodeAhead();
        else void this.pump();
      }, 0);
    }
  }

  /**
   * While a POST is under way: moves the queue's head into the backlog as compact bodies, a POST's worth
   * at a time, as long as more than two POSTs' worth wait and the backlog has room. Only for a collector
   * that answered the last delivery and reads compact batches (a down collector keeps the queue's bound).
   */
  private encodeAhead(): void {
    const limit = this.config.maxBacklogBytes ?? 0;
    if (!this.compact || !this.answering || this.stopped || limit <= 0) return;
    // (A quarter of a small queue at a time, so that it never fills while two POSTs' worth wait.)
    const take = Math.min(BACKLOG_BATCHES * this.perPost(), Math.max(1, Math.floor(this.config.maxQueue / 4)));
    while (this.queue.size >= 2 * take && this.backlogBytes < limit) {
      for (const body of this.takeBatch(take)) {
        const batch = { count: body.count, abandoned: false };
        this.inFlight.add(batch);
        this.backlog.push({ body, batch });
        this.backlogBytes += body.body.length;
      }
      if (this.backlogBytes > this.backlogPeakBytes) this.backlogPeakBytes = this.backlogBytes;
    }
  }

  /** Why the backlog did not take the excess, for the drop diagnostics (empty when it has none to say). */
  private backlogSaying(): string {
    const limit = this.config.maxBacklogBytes ?? 0;
    if (limit <= 0 || !this.compact) return '';
    if (this.backlogBytes >= limit)
      return ` and its backlog of encoded batches full (${this.backlogBytes} bytes, maxBacklogBytes ${limit})`;
    return this.answering ? '' : ' (the collector is not answering: nothing is encoded ahead for it)';
  }

  /** Records whether `trace` is sent: on the trace itself when no other exporter has, else in this one's map. */
  private noteAdmission(trace: TraceInfo, admitted: boolean): void {
    if (trace.admittedBy === undefined || trace.admittedBy === this) {
      trace.admittedBy = this;
      trace.admitted = admitted;
    } else this.admitted.set(trace, admitted);
  }

  stats(): ExporterStats {
    let pending = 0;
    for (const batch of this.inFlight) pending += batch.count;
    return {
      ...this.stats_,
      queued: this.queue.size + pending,
      droppedTraces: this.droppedTraces,
      truncatedTraces: this.truncatedCount,
      backlogBytes: this.backlogBytes,
      backlogPeakBytes: this.backlogPeakBytes,
    };
  }

  /**
   * Queues the event that tells the server how many traces were dropped whole and which were cut short
   * (cumulative, so a lost one is made up by the next), when that changed. It goes in ahead of admission.
   */
  private reportDrops(): void {
    const now = `${this.droppedTraces}:${this.truncatedCount}`;
    if (now === this.reportedDrops) return;
    const task = getMainTask();
    const detail = {
      name: DROPPED_EVENT,
      data: {
        dropped_traces: this.droppedTraces,
        truncated_traces: [...this.truncated].map(traceIdToUuid),
        truncated_count: this.truncatedCount,
        service: this.identity.serviceName,
      },
    };
    if (
      this.queue.push(
        ++state.sequence,
        'Custom',
        task,
        task.clock,
        task.component,
        currentSegment(),
        this.clock.now(),
        0,
        [],
        DROPPED_EVENT,
        undefined,
        undefined,
        '',
        detail,
      )
    )
      this.reportedDrops = now;
  }

  /** At exit: one line when events recorded by this process never reached the collector. */
  private sayUndelivered(): void {
    const { dropped, queued } = this.stats();
    if (dropped + queued === 0) return;
    const reason =
      this.lastFailure ??
      (this.droppedTraces || this.truncatedCount
        ? 'the event queue was full'
        : 'the process exited before they were sent');
    reportOnce(
      'undelivered',
      `${dropped + queued} events not delivered to ${this.config.endpoint ?? 'the collector'}: ${reason}`,
    );
  }

  /** Sends everything queued so far; resolves when the queue is empty or given up on. */
  async flush(): Promise<void> {
    while (this.queue.size > 0 || this.pumping) {
      await this.pump();
    }
  }

  /** Stops accepting, flushes within the deadline, counts what is left as dropped. */
  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.deadline = this.clock.now() + this.config.shutdownTimeoutMs;
    this.clock.clearInterval(this.interval);
    process.off('beforeExit', this.onBeforeExit);
    this.reportDrops();
    let timer: unknown;
    const expired = new Promise<void>((resolve) => {
      // Kept alive: the app awaits shutdown, and a retry's wait alone would let the process exit under it.
      timer = this.clock.setTimeout(resolve, this.config.shutdownTimeoutMs, true);
    });
    await Promise.race([this.flush(), expired]);
    this.clock.clearTimeout(timer);
    this.stopped = true;
    this.sender.interrupt();
    for (const batch of this.inFlight) {
      batch.abandoned = true;
      this.stats_.dropped += batch.count;
    }
    this.inFlight.clear();
    this.backlog.length = 0;
    this.backlogBytes = 0;
    this.stats_.dropped += this.queue.clear();
    this.sender.shutdown();
  }

  /**
   * Hands the queued records over (to the client that takes this one's place) and stops without counting
   * them as dropped; batches already being sent finish, and so do the encoded ones of the backlog.
   */
  surrender(): EventRecord[] {
    this.clock.clearInterval(this.interval);
    process.off('beforeExit', this.onBeforeExit);
    exitWatchers.delete(this.onExit);
    this.stopped = true;
    this.sender.interrupt();
    // The transport (its connections, its sender thread) goes once the batches being sent are done.
    const close = () => this.sender.shutdown();
    if (this.pumping) void this.pumping.then(close, close);
    else close();
    return this.queue.shift(this.queue.size);
  }

  /** Best effort on `beforeExit`: one flush, bounded by the shutdown deadline; no loop if it fails. */
  private exitFlush(): void {
    if (!this.exitFlushPending || (this.queue.size === 0 && this.backlog.length === 0)) return;
    this.exitFlushPending = false;
    this.deadline = this.clock.now() + this.config.shutdownTimeoutMs;
    void this.flush().finally(() => {
      this.deadline = Infinity;
    });
  }

  private pump(): Promise<void> {
    this.pumping ??= this.drain().finally(() => {
      this.pumping = undefined;
    });
    return this.pumping;
  }

  private async drain(): Promise<void> {
    this.reportDrops();
    let first = true;
    // The backlog goes first (it holds the oldest events), and also after surrender(): its events are
    // encoded already and cannot be handed over.
    while (this.backlog.length > 0 || (this.queue.size > 0 && !this.stopped)) {
      // After the first POST only full ones: what arrived meanwhile waits for the next flush (or for a
      // full POST). Sending whatever came during each round trip made a stream of small POSTs, which
      // cost the app more than the events in them.
      if (!first && this.backlog.length === 0 && this.queue.size < this.perPost() && this.deadline === Infinity) break;
      first = false;
      let taken: Array<{ body: BatchBody; batch: PendingBatch }>;
      if (this.backlog.length > 0) {
        const next = this.backlog.shift()!;
        this.backlogBytes -= next.body.body.length;
        taken = [next];
      } else {
        // Every body of this take counts as in flight from now on: records out of the queue and not yet
        // sent must still be counted by stats() and, at shutdown, as dropped.
        taken = this.takeBatch().map((body) => ({ body, batch: { count: body.count, abandoned: false } }));
        for (const { batch } of taken) this.inFlight.add(batch);
      }
      this.reportDrops(); // there is room now, even when the queue was full
      for (const { body, batch } of taken) {
        if (batch.abandoned) continue;
        try {
          const outcome = await this.sender.deliver(body, {
            deadline: () => this.deadline,
            stopped: () => this.stopped,
            abandoned: () => batch.abandoned,
            failed: (reason) => {
              this.lastFailure = reason;
              this.answering = false;
            },
          });
          if (batch.abandoned) continue;
          this.answering = outcome.failure === undefined && outcome.sent > 0;
          this.noteFormats(outcome);
          this.stats_.sent += outcome.sent;
          this.stats_.dropped += outcome.dropped;
          this.stats_.retried += outcome.retried;
        } finally {
          this.inFlight.delete(batch);
        }
      }
    }
  }

  /**
   * Events per POST: `batchSize`, or ten times as many in compact batches, whose events are ~15x smaller
   * (a POST costs the app about as much as encoding a hundred compact events).
   */
  private perPost(): number {
    return this.compact ? COMPACT_FACTOR * this.config.batchSize : this.config.batchSize;
  }

  /** Whether the next batches go compact: the collector says it reads them and has not refused one lately. */
  private noteFormats(outcome: { compact?: CompactVersion; compactRefused?: boolean; sent: number }): void {
    if (outcome.compactRefused) {
      this.compactRefusedAt = this.clock.now();
      this.compact = undefined;
    }
    if (this.config.compactBatches === false || outcome.sent === 0) return;
    this.compact = this.clock.now() - this.compactRefusedAt >= COMPACT_DISTRUST_MS ? outcome.compact : undefined;
  }

  /**
   * Takes a POST's worth of records (or `count`) and serialises them into bodies under the size limit.
   */
  private takeBatch(count?: number): BatchBody[] {
    // Under a backlog, fewer and larger POSTs (still split under the body limit) drain it faster.
    const perPost = this.perPost();
    const backlog = this.queue.size > 2 * perPost;
    const take = Math.min(
      this.queue.size,
      count ?? (backlog ? (this.compact ? BACKLOG_BATCHES : COMPACT_FACTOR) * perPost : perPost),
    );
    if (!this.compact) {
      const { bodies, unencodable } = this.encoder.encode(this.queue.shift(take), undefined);
      this.stats_.dropped += unencodable;
      return bodies;
    }
    // Compact batches are encoded from the queue in place (no object per record), then the records go.
    try {
      const { bodies, unencodable } = this.encoder.encode(this.queue.window(take), this.compact);
      this.stats_.dropped += unencodable;
      return bodies;
    } finally {
      this.queue.drop(take);
    }
  }
}
