import { Ajv } from 'ajv';

/** The Raceway wire event (shared/reference/raceway-wire-protocol.md), checked one event at a time. */
const str = { type: 'string' };
const int = { type: 'integer' };
const variants: Record<string, object> = {
  StateChange: { type: 'object', required: ['variable', 'access_type'], properties: { variable: str, location: str, access_type: { enum: ['Read', 'Write', 'AtomicRead', 'AtomicWrite', 'AtomicRMW'] } } },
  FunctionCall: { type: 'object', required: ['function_name'], properties: { function_name: str, module: str, file: str, line: int } },
  HttpRequest: { type: 'object', required: ['method', 'url'], properties: { method: str, url: str, headers: { type: 'object' } } },
  HttpResponse: { type: 'object', required: ['status', 'duration_ms'], properties: { status: int, duration_ms: int, headers: { type: 'object' } } },
  LockAcquire: { type: 'object', required: ['lock_id'], properties: { lock_id: str, lock_type: str, location: str } },
  LockRelease: { type: 'object', required: ['lock_id'], properties: { lock_id: str, lock_type: str, location: str } },
  AsyncSpawn: { type: 'object', required: ['task_id'], properties: { task_id: str, spawned_by: str } },
  AsyncAwait: { type: 'object', required: ['future_id'], properties: { future_id: str, awaited_at: str } },
  Error: { type: 'object', required: ['error_type', 'message'], properties: { error_type: str, message: str, stack_trace: { type: 'array', items: str } } },
  DatabaseQuery: { type: 'object', required: ['query'], properties: { query: str, database: str, duration_ms: int } },
  DatabaseResult: { type: 'object', required: ['rows_affected'], properties: { rows_affected: int } },
  MemoryFence: { type: 'object', required: ['ordering'], properties: { ordering: { enum: ['Relaxed', 'Acquire', 'Release', 'AcqRel', 'SeqCst'] }, location: str } },
  Custom: { type: 'object', required: ['name'], properties: { name: str } },
};

const eventSchema = {
  type: 'object',
  required: ['id', 'trace_id', 'timestamp', 'kind', 'metadata', 'causality_vector', 'lock_set'],
  properties: {
    id: { type: 'string', minLength: 1, maxLength: 64 },
    trace_id: { type: 'string', pattern: '^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$' },
    parent_id: { type: ['string', 'null'] },
    timestamp: { type: 'string', minLength: 10 },
    kind: { type: 'object', minProperties: 1, maxProperties: 1, properties: variants, additionalProperties: false },
    metadata: { type: 'object', required: ['thread_id'], properties: { thread_id: str, service_name: str, process_id: int, instance_id: str, tags: { type: 'object' } } },
    causality_vector: { type: 'array', items: { type: 'array', minItems: 2, maxItems: 2, items: [str, int] } },
    lock_set: { type: 'array', items: str },
    raceway: { type: 'object', properties: { seq: int, segment: int, task: str, unit: str, process: str, time_us: { type: 'number' } } },
  },
};

const ajv = new Ajv({ allErrors: false, strict: false });
const check = ajv.compile(eventSchema);

/** undefined when valid, else a one-line reason. */
export function validateEvent(event: unknown): string | undefined {
  if (check(event)) {
    if (Number.isNaN(Date.parse((event as { timestamp: string }).timestamp))) return '/timestamp is not an RFC 3339 time';
    return undefined;
  }
  const e = check.errors?.[0];
  return e ? `${e.instancePath || '/'} ${e.message ?? 'is invalid'}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}` : 'invalid event';
}
