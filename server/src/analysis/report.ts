import { sourceExcerpt } from '../source/source-excerpt.js';
import type { SourceLine } from '../source/source-excerpt.js';
import type { Race } from './race.js';

/** The stable JSON report (`--json`, GET /api/races). Fields may be added, never renamed. */
export interface RaceReport {
  races: Array<{
    id: string;
    severity: Race['severity'];
    kind: string;
    variable: string;
    observed: boolean;
    occurrences: number;
    possibleOccurrences: number;
    accesses: Array<{
      location: string;
      access: 'read' | 'write';
      traceId: string;
      task: string;
      service: string;
      variable: string;
      value: unknown;
      role: 'A' | 'B';
      /** Two lines of source around the location, when the location is a source file inside the server's source root (`source/source-excerpt.ts`). */
      source?: SourceLine[];
    }>;
    orderFromTimestamps: boolean;
    traces: string[];
    services: string[];
  }>;
  stats: { events: number; traces: number };
}

export function toReport(races: Race[], stats: { events: number; traces: number }, sourceRoot?: string): RaceReport {
  return {
    races: races.map((r) => ({
      id: r.id,
      severity: r.severity,
      kind: r.kind,
      variable: r.variable,
      observed: r.observed,
      occurrences: r.occurrences,
      possibleOccurrences: r.possibleOccurrences,
      accesses: r.accesses.map((a, i) => ({
        location: a.location,
        access: a.write ? 'write' : 'read',
        traceId: a.traceId,
        task: a.task,
        service: a.service,
        variable: a.variable,
        value: a.value,
        role: r.roles[i] ?? 'A',
        ...(sourceRoot ? { source: sourceExcerpt(a.location, sourceRoot) } : {}),
      })),
      orderFromTimestamps: r.orderFromTimestamps,
      traces: r.traces,
      services: r.services,
    })),
    stats,
  };
}
