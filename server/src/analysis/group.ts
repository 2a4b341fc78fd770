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

function severityOf(o: Occurrence): Severity {
  if (o.kind === 'unordered-initialization') return 'warning';
  return o.observed ? 'critical' : 'warning';
}

/** Groups occurrences by (kind, observed, code-location set): one report line per group, never per pair. */
export function groupRaces(occurrences: Occurrence[]): Race[] {
  const groups = new Map<string, Occurrence[]>();
  for (const o of occurrences) {
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
    });
  }
  const rank = { critical: 0, warning: 1, info: 2 };
  return races.sort((a, b) => rank[a.severity] - rank[b.severity] || b.occurrences - a.occurrences || a.variable.localeCompare(b.variable));
}
