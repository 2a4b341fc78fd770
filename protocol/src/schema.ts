import type { EventKindName } from './event.js';
import { ACCESS_TYPES } from './event.js';

/**
 * The JSON schema of one wire event, as the server checks it (each event alone: one bad event does not
 * refuse its batch). Timestamps are further checked as real RFC 3339 instants, and values for depth, by the
 * server's validator.
 */

/** Values may nest this deep (an event's own structure adds a few levels): deeper JSON cannot be serialised back safely. */
export const MAX_VALUE_DEPTH = 64;
export const EVENT_LEVELS = 4; // event → kind → variant → value

/**
 * Limits on the text fields of an event, in characters. Names and locations are shown in reports and
 * the UI and used as keys by the analysis; a value over these is refused (the event, not the batch).
 * Documented in the README's security section.
 */
export const FIELD_LIMITS = {
  id: 64,
  name: 1024, // variable, function, lock, error type, module
  location: 2048, // locations, files, URLs' paths
  label: 256, // service, thread, instance, task, unit, process, clock component, environment
  url: 8192,
  text: 65_536, // error messages, queries
} as const;

const text = (maxLength: number) => ({ type: 'string', maxLength });
const name = text(FIELD_LIMITS.name);
const location = text(FIELD_LIMITS.location);
const label = text(FIELD_LIMITS.label);
/** Finite numbers only: JSON's `1e999` parses to Infinity, which nothing downstream can use. */
const int = { type: 'integer', minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER };
const num = { type: 'number', minimum: -Number.MAX_VALUE, maximum: Number.MAX_VALUE };

/** The variants of `kind` and what each must hold. */
const variants: Record<EventKindName, object> = {
  StateChange: {
    type: 'object',
    required: ['variable', 'access_type'],
    properties: {
      variable: name,
      location,
      access_type: { enum: [...ACCESS_TYPES] },
    },
  },
  FunctionCall: {
    type: 'object',
    required: ['function_name'],
    properties: { function_name: name, module: location, file: location, line: int },
  },
  // Sent by the Go SDK, not in the published list.
  FunctionReturn: { type: 'object', properties: { function_name: name, module: location, file: location, line: int } },
  HttpRequest: {
    type: 'object',
    required: ['method', 'url'],
    properties: { method: text(32), url: text(FIELD_LIMITS.url), headers: { type: 'object' } },
  },
  HttpResponse: {
    type: 'object',
    required: ['status', 'duration_ms'],
    properties: { status: int, duration_ms: int, headers: { type: 'object' } },
  },
  LockAcquire: { type: 'object', required: ['lock_id'], properties: { lock_id: name, lock_type: label, location } },
  LockRelease: { type: 'object', required: ['lock_id'], properties: { lock_id: name, lock_type: label, location } },
  AsyncSpawn: { type: 'object', required: ['task_id'], properties: { task_id: label, spawned_by: label } },
  AsyncAwait: { type: 'object', required: ['future_id'], properties: { future_id: label, awaited_at: location } },
  // The Go SDK sends `stack_trace: null`.
  Error: {
    type: 'object',
    required: ['error_type', 'message'],
    properties: {
      error_type: name,
      message: text(FIELD_LIMITS.text),
      stack_trace: { type: ['array', 'null'], items: location },
    },
  },
  DatabaseQuery: {
    type: 'object',
    required: ['query'],
    properties: { query: text(FIELD_LIMITS.text), database: label, duration_ms: int },
  },
  DatabaseResult: { type: 'object', required: ['rows_affected'], properties: { rows_affected: int } },
  MemoryFence: {
    type: 'object',
    required: ['ordering'],
    properties: { ordering: { enum: ['Relaxed', 'Acquire', 'Release', 'AcqRel', 'SeqCst'] }, location },
  },
  Custom: { type: 'object', required: ['name'], properties: { name } },
};

export const eventSchema = {
  type: 'object',
  required: ['id', 'trace_id', 'timestamp', 'kind', 'metadata', 'causality_vector', 'lock_set'],
  properties: {
    id: { type: 'string', minLength: 1, maxLength: FIELD_LIMITS.id },
    trace_id: {
      type: 'string',
      pattern: '^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$',
    },
    parent_id: { type: ['string', 'null'], maxLength: FIELD_LIMITS.id },
    timestamp: { type: 'string', maxLength: 40 },
    kind: { type: 'object', minProperties: 1, maxProperties: 1, properties: variants, additionalProperties: false },
    metadata: {
      type: 'object',
      required: ['thread_id'],
      properties: {
        thread_id: label,
        service_name: label,
        process_id: int,
        instance_id: label,
        environment: label,
        distributed_span_id: { type: ['string', 'null'], maxLength: 64 },
        upstream_span_id: { type: ['string', 'null'], maxLength: 64 },
        duration_ns: { type: ['integer', 'null'], minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER },
        tags: { type: 'object' },
      },
    },
    causality_vector: { type: 'array', items: { type: 'array', minItems: 2, maxItems: 2, items: [label, int] } },
    lock_set: { type: 'array', items: name },
    raceway: {
      type: 'object',
      properties: {
        seq: int,
        segment: int,
        task: label,
        component: label,
        unit: label,
        process: label,
        parent_task: { type: ['string', 'null'], maxLength: FIELD_LIMITS.label },
        time_us: num,
      },
    },
  },
};
