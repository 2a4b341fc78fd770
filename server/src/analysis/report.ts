import { sourceExcerpt } from '../source/source-excerpt.js';
import type { SourceLine } from '../source/source-excerpt.js';
import type { Race } from './race.js';
import type { NotAnalysed } from './from-events.js';
import type { ExplorationSummary, RaceExploration } from '../explore/explore-runs.js';

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
    /** Every code location behind this line (up to 20): other paths to the same bug included. */
    locations: string[];
    /** What may explain a warning, or what to do about it (e.g. a lock the detector cannot see). */
    hint?: string;
    /** `raceway run --explore`: whether a steered rerun made this race happen, and how. */
    exploration?: RaceExploration;
  }>;
  /** `raceway run --explore`: the seed, the reruns made, and what they confirmed. */
  exploration?: ExplorationSummary;
  /**
   * `racesNotListed`: races beyond the report's cap (MAX_LISTED_RACES), counted but not listed.
   * `tracesNotAnalysed`: per service, traces its SDK dropped whole or cut short under load.
   */
  stats: {
    events: number;
    traces: number;
    accesses?: number;
    racesNotListed?: number;
    tracesNotAnalysed?: Array<{ service: string; dropped: number; truncated: number }>;
  };
}

/** The report lists at most this many races (the most severe and frequent first); the rest are counted. */
export const MAX_LISTED_RACES = 500;

export function toReport(
  all: Race[],
  counts: { events: number; traces: number },
  sourceRoot?: string,
  notAnalysed: NotAnalysed[] = [],
  accesses?: number,
): RaceReport {
  const races = all.slice(0, MAX_LISTED_RACES);
  const byService = new Map<string, { service: string; dropped: number; truncated: number }>();
  for (const n of notAnalysed) {
    if (n.droppedTraces + n.truncatedTraces === 0) continue;
    const s = byService.get(n.service) ?? { service: n.service, dropped: 0, truncated: 0 };
    s.dropped += n.droppedTraces;
    s.truncated += n.truncatedTraces;
    byService.set(n.service, s);
  }
  const stats: RaceReport['stats'] = {
    ...counts,
    ...(accesses !== undefined ? { accesses } : {}),
    ...(all.length > races.length ? { racesNotListed: all.length - races.length } : {}),
    ...(byService.size ? { tracesNotAnalysed: [...byService.values()] } : {}),
  };
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
      locations: r.locations,
      ...(r.hint ? { hint: r.hint } : {}),
    })),
    stats,
  };
}
