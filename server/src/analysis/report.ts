import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
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
      /** Two lines of source around the location, when the server can read the file under its source root. */
      source?: Array<{ line: number; text: string; here: boolean }>;
    }>;
    orderFromTimestamps: boolean;
    traces: string[];
    services: string[];
  }>;
  stats: { events: number; traces: number };
}

/** Lines around `path:line:col`, read only from files inside `root`. */
export function sourceAround(location: string, root: string | undefined): Array<{ line: number; text: string; here: boolean }> | undefined {
  if (!root) return undefined;
  const m = /^(.*):(\d+):(\d+)$/.exec(location);
  if (!m) return undefined;
  const base = path.resolve(root);
  const file = path.resolve(base, m[1]!);
  if (!file.startsWith(base + path.sep) || !existsSync(file)) return undefined;
  const lines = readFileSync(file, 'utf8').split('\n');
  const line = Number(m[2]);
  const out: Array<{ line: number; text: string; here: boolean }> = [];
  for (let n = Math.max(1, line - 2); n <= Math.min(lines.length, line + 2); n++) out.push({ line: n, text: lines[n - 1]!, here: n === line });
  return out;
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
        ...(sourceRoot ? { source: sourceAround(a.location, sourceRoot) } : {}),
      })),
      orderFromTimestamps: r.orderFromTimestamps,
      traces: r.traces,
      services: r.services,
    })),
    stats,
  };
}
