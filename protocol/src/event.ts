/**
 * The Raceway wire event: what every Raceway SDK posts to `POST /events` and what this server stores and
 * analyses (docs/wire-protocol.md). Field names are the protocol's; optional fields are those some SDKs omit.
 */
export interface WireEvent {
  id: string;
  /** A UUID, with or without dashes. */
  trace_id: string;
  parent_id?: string | null;
  /** RFC 3339, up to nine fractional digits. */
  timestamp: string;
  /** Exactly one variant: `{ "StateChange": { ... } }`. */
  kind: Record<string, Record<string, unknown>>;
  metadata: EventMetadata;
  /** Clock components and their epochs: `[[component, n], ...]`. */
  causality_vector: Array<[string, number]>;
  lock_set: string[];
  /** Our SDK's causality block; absent in events of the other SDKs. */
  raceway?: RacewayBlock;
}

export interface EventMetadata {
  thread_id: string;
  service_name?: string;
  instance_id?: string;
  environment?: string;
  process_id?: number;
  tags?: Record<string, unknown>;
  distributed_span_id?: string | null;
  upstream_span_id?: string | null;
  duration_ns?: number | null;
}

/** The version of the `raceway` block our SDK sends (`v`). */
export const RACEWAY_BLOCK_VERSION = 1;

/** What our SDK adds to each event: the per-process order, the task, its unit and segment. */
export interface RacewayBlock {
  v?: number;
  /** Order in which the process really ran the code. */
  seq?: number;
  process?: string;
  task?: string;
  parent_task?: string | null;
  /** The unit of intended atomicity the task belongs to (a traced call, a request). */
  unit?: string;
  traced?: boolean;
  /** The clock component the task advances, when it is not the task id. */
  component?: string;
  /** The synchronous segment: accesses in one segment cannot interleave with another task's. */
  segment?: number;
  /** The segment's start, in microseconds. */
  time_us?: number;
}

/** The variants of `kind` in the protocol, and the access types of a `StateChange`. */
export const EVENT_KINDS = [
  'StateChange',
  'FunctionCall',
  'FunctionReturn',
  'HttpRequest',
  'HttpResponse',
  'LockAcquire',
  'LockRelease',
  'AsyncSpawn',
  'AsyncAwait',
  'Error',
  'DatabaseQuery',
  'DatabaseResult',
  'MemoryFence',
  'Custom',
] as const;
export type EventKindName = (typeof EVENT_KINDS)[number];

export const ACCESS_TYPES = ['Read', 'Write', 'AtomicRead', 'AtomicWrite', 'AtomicRMW'] as const;
export type AccessType = (typeof ACCESS_TYPES)[number];

export interface StateChange {
  variable: string;
  access_type: AccessType;
  old_value?: unknown;
  new_value?: unknown;
  location?: string;
}
