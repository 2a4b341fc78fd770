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
    else if (split[0]![i]!.startsWith('[')) parts.push('[*]');
    else {
      // `makeQueue#3.pending` + `makeQueue#5.pending` → `makeQueue#*.pending` (calls and instances numbered)
      const numbered = [...at].map((p) => /^(\.?[^#]*)#\d+$/.exec(p)?.[1]);
      parts.push(numbered[0] !== undefined && numbered.every((p) => p === numbered[0]) ? `${numbered[0]}#*` : '.*');
    }
  }
  return parts.join('');
}

const MAX_LOCATIONS = 20;

export const HANDOFF_HINT =
  "in this run the accesses never interleaved: one unit ran right after the other's await, as if it waited for a lock. " +
  'If your code serialises them with a lock of its own (a promise chain, async-mutex, p-limit(1)), wrap it in withLock(...) ' +
  'or report it with trackLockAcquire/trackLockRelease so the detector sees it.';

function severityOf(o: Occurrence): Severity {
  if (o.kind === 'unordered-initialization') return 'warning';
  return o.observed ? 'critical' : 'warning';
}

/** Occurrences of one shape (kind and code-location set): observed ones lead, predicted ones are counted beside. */
interface Shape {
  key: string;
  observed: Occurrence[];
  predicted: Occurrence[];
}

/** The variable(s) of a list of occurrences, dynamic keys merged into a pattern. */
function variableOf(list: Occurrence[]): string {
  const example = list[0]!;
  const variables = example.accesses.map((_, i) => {
    const names = new Set<string>();
    for (const o of list) {
      names.add(o.accesses[i]?.variable ?? '');
      if (names.size > 50) break;
    }
    return mergeNames([...names]);
  });
  return [...new Set(variables)].join(', ');
}

/**
 * Groups occurrences by (kind, code-location set), then gives one report line per title (severity, kind,
 * variable): shapes that differ only in code locations (another path to the same bug) are counted together,
 * their locations listed. The example of a line is its earliest occurrence in the real order.
 */
export function groupRaces(occurrences: Occurrence[]): Race[] {
  const ordered = [...occurrences].sort((x, y) => {
    for (let i = 0; i < Math.min(x.accesses.length, y.accesses.length); i++) {
      const d = x.accesses[i]!.index - y.accesses[i]!.index;
      if (d !== 0) return d;
    }
    return x.accesses.length - y.accesses.length;
  });
  const shapes = new Map<string, Shape>();
  for (const o of ordered) {
    const parts: string[] = [];
    for (const a of o.accesses) parts.push(`${a.write ? 'W' : 'R'}@${a.location}`);
    parts.sort();
    const key = `${o.kind}|${parts.join(',')}`;
    let shape = shapes.get(key);
    if (!shape) shapes.set(key, (shape = { key, observed: [], predicted: [] }));
    (o.observed ? shape.observed : shape.predicted).push(o);
  }
  // Lines by title; a shape's leading list is its observed occurrences when there are any.
  const lines = new Map<string, { keys: string[]; list: Occurrence[]; possible: number }>();
  for (const shape of shapes.values()) {
    const list = shape.observed.length ? shape.observed : shape.predicted;
    const possible = shape.observed.length ? shape.predicted.length : 0;
    const title = `${severityOf(list[0]!)}|${list[0]!.kind}|${variableOf(list)}`;
    const line = lines.get(title);
    if (!line) lines.set(title, { keys: [shape.key], list: [...list], possible });
    else {
      line.keys.push(shape.key);
      for (const o of list) line.list.push(o);
      line.possible += possible;
    }
  }
  const races: Race[] = [];
  for (const { keys, list, possible } of lines.values()) {
    list.sort((x, y) => x.accesses[0]!.index - y.accesses[0]!.index);
    const example = list[0]!;
    const traces = new Set<string>();
    const services = new Set<string>();
    const locations = new Set<string>();
    for (const o of list) {
      for (const a of o.accesses) {
        traces.add(a.traceId);
        services.add(a.service);
        if (locations.size < MAX_LOCATIONS) locations.add(a.location);
      }
    }
    const handedOff = !example.observed && list.some((o) => o.handoff);
    races.push({
      id: createHash('sha1').update(keys[0]!).digest('hex').slice(0, 12),
      severity: severityOf(example),
      kind: example.kind,
      variable: variableOf(list),
      observed: example.observed,
      occurrences: list.length,
      possibleOccurrences: possible,
      accesses: example.accesses,
      roles: example.roles,
      orderFromTimestamps: example.orderFromTimestamps,
      traces: [...traces].slice(0, 10),
      traceSet: traces,
      services: [...services].sort(),
      locations: [...locations],
      ...(handedOff ? { hint: HANDOFF_HINT } : {}),
    });
  }
  const rank = { critical: 0, warning: 1, info: 2 };
  return races.sort(
    (a, b) =>
      rank[a.severity] - rank[b.severity] || b.occurrences - a.occurrences || a.variable.localeCompare(b.variable),
  );
}
