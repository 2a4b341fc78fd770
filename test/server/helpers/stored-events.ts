import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { StoredEvent } from '@raceway/server';

/** The trace id of trace number `t`. */
export const traceOf = (t: number): string => `${String(t).padStart(8, '0')}-0000-4000-8000-000000000000`;

/** A valid wire event, numbered: its id, time, variable and value follow from `i`. */
export function storedEvent(i: number, trace: number, service = 'svc', extra: Partial<StoredEvent> = {}): StoredEvent {
  return {
    id: `00000000-0000-7000-8000-${String(i).padStart(12, '0')}`,
    trace_id: traceOf(trace),
    timestamp: `2026-11-26T10:00:${String(i % 60).padStart(2, '0')}.000Z`,
    kind: {
      StateChange: {
        variable: `v${i % 3}`,
        access_type: i % 2 ? 'Write' : 'Read',
        new_value: { n: i, text: `é ${i} \u2028` },
        location: `src/a.ts:${i}:1`,
      },
    },
    metadata: { thread_id: `t${i % 4}`, service_name: service },
    causality_vector: [[`t${i % 4}`, i]],
    lock_set: [],
    ...extra,
  };
}

let files = 0;
/** A database file path of its own, in a fresh folder under `folder`. */
export function freshDbFile(folder: string): string {
  const dir = path.join(folder, `${process.pid}-${++files}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return path.join(dir, 'raceway.db');
}
