import type { VectorClock } from '../clock/vector-clock.js';

/** The trace a task belongs to, and this service's place in it. */
export interface TraceInfo {
  /** 32 lowercase hex digits. */
  readonly traceId: string;
  /** This service's span in the trace (16 hex). */
  readonly spanId: string;
  /** The calling service's span, when the trace came in over HTTP. */
  readonly upstreamSpanId: string | undefined;
  /** Incoming W3C tracestate, passed on unchanged. */
  readonly tracestate: string | undefined;
  /** The client that started the trace in this process; outbound calls speak in its name. */
  readonly origin?: TraceOrigin | undefined;
  /**
   * Kept by the exporter that first saw the trace: whether it sends the trace (it admits or drops a trace
   * whole at its first event). A slot here rather than a map entry per trace; see batch-exporter.ts.
   */
  admittedBy?: object | undefined;
  admitted?: boolean;
}

/** The identity a trace's outbound calls carry. */
export interface TraceOrigin {
  readonly serviceName: string;
  readonly instanceId: string;
  readonly autoPropagate: boolean;
}

/**
 * A logical thread of execution: a request handler, a traced async call, a timer callback.
 * Mutable fields change only on the task's own code path (JavaScript runs one segment at a time).
 */
export interface Task {
  readonly id: string;
  readonly trace: TraceInfo;
  /** The forking or scheduling task's id (an id, not the task: a chain of timers must not keep every tick alive). */
  readonly parentId: string | undefined;
  /** Id of the unit of intended atomicity: the outermost traced call this task is in, else the root task. */
  readonly unit: string;
  /** True for tasks created by a traced call. */
  readonly traced: boolean;
  /** Current clock snapshot, replaced copy-on-write. */
  clock: VectorClock;
  /**
   * The clock component this task advances: its own id, or the component of a finished task it took
   * over (see causality.ts). Clocks then grow with the tasks alive at once, not with every task.
   */
  component: string;
  /** Another task took this task's component over: its next event or release starts a new component. */
  retired: boolean;
  /** Segment of the task's last release (the point whose clock others acquired). */
  releaseSegment: number;
  /** Segment of the task's last recorded event. */
  eventSegment: number;
  /** Children this task joined, whose components its next fork may take over. */
  reusable: Task[] | undefined;
  /** Sequence number of this task's previous event (0: none yet). */
  lastSeq: number;
  /** Sequence number of the parent's last event when this task was forked. */
  readonly forkSeq: number;
  /** Locks held, as a shared immutable array. */
  locks: readonly string[];
}

/** What AsyncLocalStorage holds. */
export interface TaskContext {
  readonly task: Task;
}
