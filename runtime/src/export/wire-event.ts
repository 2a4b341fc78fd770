import { eventIdFor, processTag } from '../context/process-identity.js';
import { traceIdToUuid } from '../propagation/ids.js';
import type { EventRecord } from '../record/event-record.js';
import { capturedToJson } from '../record/values.js';

/** Who produced the events: fixed per client. */
export interface ServiceIdentity {
  serviceName: string;
  environment: string;
  instanceId: string;
  module: string;
}

/** Decides per variable name whether values may leave the process. */
export class Redactor {
  private readonly cache = new Map<string, boolean>();
  constructor(private readonly patterns: readonly RegExp[]) {}

  redacts(variable: string): boolean {
    if (this.patterns.length === 0) return false;
    let hit = this.cache.get(variable);
    if (hit === undefined) {
      hit = this.patterns.some((p) => p.test(variable));
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(variable, hit);
    }
    return hit;
  }
}

export const REDACTED = '[redacted]';

/** The `tags` of every event's metadata. */
export const SDK_TAGS: Readonly<Record<string, string>> = Object.freeze({
  sdk_language: 'typescript',
  sdk: 'raceway-ts',
});

function splitLocation(location: string): { file: string; line: number } {
  const m = /^(.*):(\d+):(\d+)$/.exec(location) ?? /^(.*):(\d+)$/.exec(location);
  return m ? { file: m[1]!, line: Number(m[2]) } : { file: location, line: 0 };
}

export function kindPayload(r: EventRecord, redactor: Redactor): Record<string, unknown> {
  switch (r.kind) {
    case 'StateChange': {
      const hidden = redactor.redacts(r.name);
      return {
        StateChange: {
          variable: r.name,
          old_value: hidden ? REDACTED : capturedToJson(r.oldValue),
          new_value: hidden ? REDACTED : capturedToJson(r.newValue),
          location: r.location,
          access_type: r.detail,
        },
      };
    }
    case 'FunctionCall': {
      const d = r.detail as { module: string };
      const { file, line } = splitLocation(r.location);
      return {
        FunctionCall: {
          function_name: r.name,
          module: d.module,
          args: redactor.redacts(r.name) ? REDACTED : (capturedToJson(r.oldValue) ?? []),
          file,
          line,
        },
      };
    }
    case 'FunctionReturn': {
      const d = r.detail as { durationNs: number; ok: boolean };
      return {
        Custom: {
          name: 'FunctionReturn',
          data: { function_name: r.name, duration_ns: d.durationNs, ok: d.ok, location: r.location },
        },
      };
    }
    // Literal keys throughout: an object literal with a computed key is built by a slow runtime call.
    case 'LockAcquire':
      return { LockAcquire: { lock_id: r.name, lock_type: r.detail, location: r.location } };
    case 'LockRelease':
      return { LockRelease: { lock_id: r.name, lock_type: r.detail, location: r.location } };
    case 'HttpRequest':
      return { HttpRequest: r.detail };
    case 'HttpResponse':
      return { HttpResponse: r.detail };
    case 'Error':
      return { Error: r.detail };
    case 'Custom':
      return { Custom: r.detail };
    default:
      return { [r.kind]: r.detail };
  }
}

const isoCache = { ms: -1, text: '' };

function isoTimestamp(ms: number): string {
  if (ms !== isoCache.ms) {
    isoCache.ms = ms;
    isoCache.text = new Date(ms).toISOString();
  }
  return isoCache.text;
}

/**
 * The parts of an event that are the same for every event of a task (trace, metadata), serialised once
 * per task and identity. Serialisation runs on the app's own CPU, so it is kept cheap.
 */
const taskParts = new WeakMap<
  object,
  { identity: ServiceIdentity; trace: string; metadata: string; raceway: string }
>();

function partsOf(task: EventRecord['task'], identity: ServiceIdentity) {
  let parts = taskParts.get(task);
  if (!parts || parts.identity !== identity) {
    parts = {
      identity,
      trace: JSON.stringify(traceIdToUuid(task.trace.traceId)),
      metadata: JSON.stringify({
        thread_id: task.id,
        process_id: process.pid,
        service_name: identity.serviceName,
        environment: identity.environment,
        tags: SDK_TAGS,
        instance_id: identity.instanceId,
        distributed_span_id: task.trace.spanId,
        upstream_span_id: task.trace.upstreamSpanId ?? null,
      }),
      raceway: `"process":${JSON.stringify(processTag)},"task":${JSON.stringify(task.id)},"parent_task":${JSON.stringify(task.parentId ?? null)},"unit":${JSON.stringify(task.unit)},"traced":${task.traced}`,
    };
    taskParts.set(task, parts);
  }
  return parts;
}

const EMPTY_LOCKS = '[]';

/**
 * JSON texts of the strings events repeat (variable names, locations), made once: a service records the
 * same few hundred names millions of times.
 */
const quoted = new Map<string, string>();
function quote(text: string): string {
  let json = quoted.get(text);
  if (json === undefined) {
    json = JSON.stringify(text);
    if (quoted.size >= 10_000) quoted.clear();
    quoted.set(text, json);
  }
  return json;
}

/** The `kind` of an event as JSON text; a state change (most events) is written directly. */
function kindJson(r: EventRecord, redactor: Redactor): string {
  if (r.kind !== 'StateChange') return JSON.stringify(kindPayload(r, redactor));
  const hidden = redactor.redacts(r.name);
  const oldValue = hidden ? REDACTED : capturedToJson(r.oldValue);
  const newValue = hidden ? REDACTED : capturedToJson(r.newValue);
  // A read carries one value twice: written once.
  const oldText = JSON.stringify(oldValue) ?? 'null';
  const newText = newValue === oldValue ? oldText : (JSON.stringify(newValue) ?? 'null');
  return `{"StateChange":{"variable":${quote(r.name)},"old_value":${oldText},"new_value":${newText},"location":${quote(r.location)},"access_type":${quote(r.detail as string)}}}`;
}

/** One record → the JSON text of a wire event (fields of the Raceway protocol plus our `raceway` block). */
export function toWireEventJson(r: EventRecord, identity: ServiceIdentity, redactor: Redactor): string {
  const parts = partsOf(r.task, identity);
  const parent = r.prevSeq > 0 ? `"${eventIdFor(r.prevSeq)}"` : 'null';
  const locks = r.locks.length === 0 ? EMPTY_LOCKS : JSON.stringify(r.locks);
  // The component is named only when the task took over another task's (see causality.ts).
  const component = r.component === r.task.id ? '' : `,"component":${JSON.stringify(r.component)}`;
  // The timestamp is the millisecond of time_us, so that both can be derived from one number.
  const timeUs = Math.round(r.time * 1000);
  return (
    `{"id":"${eventIdFor(r.seq)}","trace_id":${parts.trace},"parent_id":${parent},"timestamp":"${isoTimestamp(Math.floor(timeUs / 1000))}",` +
    `"kind":${kindJson(r, redactor)},"metadata":${parts.metadata},` +
    `"causality_vector":${r.clock.toWireJson()},"lock_set":${locks},` +
    `"raceway":{"v":1,"seq":${r.seq},${parts.raceway}${component},"segment":${r.segment},"time_us":${timeUs}}}`
  );
}
