import { randomUUID } from 'node:crypto';

/** A wire event in the shape the Python SDK sends (no `raceway` block: a preemptive thread). */
export function threadEvent(
  trace: string,
  thread: string,
  second: number,
  access: 'Read' | 'Write',
  variable: string,
  location: string,
  value: unknown,
): Record<string, unknown> {
  return {
    id: randomUUID(),
    trace_id: trace,
    parent_id: null,
    timestamp: `2026-11-26T10:00:${String(second).padStart(2, '0')}.000000+00:00`,
    kind: { StateChange: { variable, old_value: null, new_value: value, location, access_type: access } },
    metadata: {
      thread_id: thread,
      process_id: 7,
      service_name: 'py-svc',
      environment: 'dev',
      tags: { sdk_language: 'python' },
      instance_id: 'vm-7',
    },
    causality_vector: [],
    lock_set: [],
  };
}

/**
 * A lost update between two threads of one process: thread A reads at `read`, thread B writes at
 * `other`, thread A writes at `write`. Each location appears in the race's accesses.
 */
export function lostUpdate(
  variable: string,
  read: string,
  other: string,
  write: string,
  value: unknown = 1,
): Array<Record<string, unknown>> {
  const trace = randomUUID();
  const [a, b] = [`A-${trace.slice(0, 8)}`, `B-${trace.slice(0, 8)}`];
  return [
    threadEvent(trace, a, 1, 'Read', variable, read, value),
    threadEvent(trace, b, 2, 'Write', variable, other, value),
    threadEvent(trace, a, 3, 'Write', variable, write, value),
  ];
}
