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
    accesses: Array<{ location: string; access: 'read' | 'write'; traceId: string; task: string; service: string; variable: string; value: unknown; role: 'A' | 'B' }>;
    orderFromTimestamps: boolean;
    traces: string[];
    services: string[];
  }>;
  stats: { events: number; traces: number };
}

export function toReport(races: Race[], stats: { events: number; traces: number }): RaceReport {
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
      })),
      orderFromTimestamps: r.orderFromTimestamps,
      traces: r.traces,
      services: r.services,
    })),
    stats,
  };
}
