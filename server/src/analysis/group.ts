import { createHash } from 'node:crypto';
import type { Occurrence, Race, Severity } from './race.js';

/** `accounts.alice.balance` + `accounts.bob.balance` → `accounts.*.balance` */
function mergeNames(names: string[]): string {
  const unique = [...new Set(names)];
  if (unique.length === 1) return unique[0]!;
  const split = unique.map((n) => n.split(/(?=[.[])/));
  const length = Math.max(...split.map((s) => s.length));
  if (split.some((s) => s.length !== length)) return unique.sort().join(' | ');
  const parts: string[] = [];
  for (let i = 0; i < length; i++) {
    const at = new Set(split.map((s) => s[i]!));
    if (at.size === 1) parts.push([...at][0]!);
    else parts.push(split[0]![i]!.startsWith('[') ? '[*]' : '.*');
  }
  return parts.join('');
}

const MAX_LOCATIONS = 20;

export const HANDOFF_HINT =
  'in this run the accesses never interleaved: one unit ran right after the other\'s await, as if it waited for a lock. ' +
  'If your code serialises them with a lock of its own (a promise chain, async-mutex, p-limit(1)), wrap it in withLock(...) ' +
  'or report it with trackLockAcquire/trackLockRelease so the detector sees it.';

/**
 * One entry per title (severity, kind, variable): groups that differ only in code locations (another
 * path to the same bug) are counted together under the first, their locations listed.
 */
function mergeTitles(races: Race[]): Race[] {
  const byTitle = new Map<string, Race>();
  for (let race of races) {
    const title = `${race.severity}|${race.kind}|${race.variable}`;
    let kept = byTitle.get(title);
    if (!kept) {
      byTitle.set(title, race);
      continue;
    }
    // The earliest example leads.
    if (race.accesses[0]!.index < kept.accesses[0]!.index) [kept, race] = [race, kept];
    const traces = new Set([...kept.traceSet, ...race.traceSet]);
    byTitle.set(title, {
      ...kept,
      occurrences: kept.occurrences + race.occurrences,
      possibleOccurrences: kept.possibleOccurrences + race.possibleOccurrences,
      traces: [...traces].slice(0, 10),
      traceSet: traces,
      services: [...new Set([...kept.services, ...race.services])].sort(),
      locations: [...new Set([...kept.locations, ...race.locations])].slice(0, MAX_LOCATIONS),
      ...(kept.hint || race.hint ? { hint: kept.hint ?? race.hint! } : {}),
    });
  }
  return [...byTitle.values()];
}

function severityOf(o: Occurrence): Severity {
  if (o.kind === 'unordered-initialization') return 'warning';
  return o.observed ? 'critical' : 'warning';
}

/** Groups occurrences by (kind, observed, code-location set): one report line per group, never per pair. */
export function groupRaces(occurrences: Occurrence[]): Race[] {
  const groups = new Map<string, Occurrence[]>();
  // In the real order, so the example of each line is its earliest occurrence, however they were found.
  const ordered = [...occurrences].sort((x, y) => {
    for (let i = 0; i < Math.min(x.accesses.length, y.accesses.length); i++) {
      const d = x.accesses[i]!.index - y.accesses[i]!.index;
      if (d !== 0) return d;
    }
    return x.accesses.length - y.accesses.length;
  });
  for (const o of ordered) {
    const parts: string[] = [];
    for (const a of o.accesses) parts.push(`${a.write ? 'W' : 'R'}@${a.location}`);
    parts.sort();
    // Observed and predicted occurrences of one shape at one code share a group: the observed one
    // leads it (critical), the predicted ones are counted beside it.
    const key = `${o.kind}|${parts.join(',')}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(o);
  }
  const races: Race[] = [];
  for (const [key, all] of groups) {
    const seen = all.filter((o) => o.observed);
    const list = seen.length > 0 ? seen : all;
    const example = list[0]!;
    const variables = example.accesses.map((_, i) => {
      const names = new Set<string>();
      for (const o of list) {
        names.add(o.accesses[i]?.variable ?? '');
        if (names.size > 50) break;
      }
      return mergeNames([...names]);
    });
    const traces = new Set<string>();
    const services = new Set<string>();
    for (const o of list) {
      for (const a of o.accesses) {
        traces.add(a.traceId);
        services.add(a.service);
      }
    }
    const variable = [...new Set(variables)].join(', ');
    const handedOff = !example.observed && list.some((o) => o.handoff);
    races.push({
      id: createHash('sha1').update(key).digest('hex').slice(0, 12),
      severity: severityOf(example),
      kind: example.kind,
      variable,
      observed: example.observed,
      occurrences: list.length,
      possibleOccurrences: all.length - list.length,
      accesses: example.accesses,
      roles: example.roles,
      orderFromTimestamps: example.orderFromTimestamps,
      traces: [...traces].slice(0, 10),
      traceSet: traces,
      services: [...services].sort(),
      locations: [...new Set(list.flatMap((o) => o.accesses.map((a) => a.location)))].slice(0, MAX_LOCATIONS),
      ...(handedOff ? { hint: HANDOFF_HINT } : {}),
    });
  }
  const rank = { critical: 0, warning: 1, info: 2 };
  return mergeTitles(races).sort((a, b) => rank[a.severity] - rank[b.severity] || b.occurrences - a.occurrences || a.variable.localeCompare(b.variable));
}
