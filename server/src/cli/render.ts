import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { RaceReport } from '../analysis/report.js';

interface Style {
  red(s: string): string;
  yellow(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
  cyan(s: string): string;
}

const plain: Style = { red: (s) => s, yellow: (s) => s, dim: (s) => s, bold: (s) => s, cyan: (s) => s };
const ansi: Style = {
  red: (s) => `\x1b[31m${s}\x1b[39m`,
  yellow: (s) => `\x1b[33m${s}\x1b[39m`,
  dim: (s) => `\x1b[2m${s}\x1b[22m`,
  bold: (s) => `\x1b[1m${s}\x1b[22m`,
  cyan: (s) => `\x1b[36m${s}\x1b[39m`,
};

const KIND_TEXT: Record<string, string> = {
  'lost-update': 'lost update',
  'stale-read': 'stale read of its own write',
  'inconsistent-read': 'inconsistent read of a half-done update',
  'non-repeatable-read': 'non-repeatable read',
  'double-initialization': 'double initialisation',
  'atomicity-violation': 'atomicity violation',
  'unordered-initialization': 'unordered initialisation',
};

function sourceLines(location: string, root: string, style: Style): string[] {
  const m = /^(.*):(\d+):(\d+)$/.exec(location);
  if (!m) return [];
  const file = path.resolve(root, m[1]!);
  if (!existsSync(file)) return [];
  const lines = readFileSync(file, 'utf8').split('\n');
  const line = Number(m[2]);
  const out: string[] = [];
  for (let n = Math.max(1, line - 2); n <= Math.min(lines.length, line + 2); n++) {
    const text = `${String(n).padStart(5)} | ${lines[n - 1]}`;
    out.push(n === line ? style.bold(`>${text.slice(1)}`) : style.dim(text));
  }
  return out;
}

function formatValue(v: unknown): string {
  const text = JSON.stringify(v);
  return text === undefined ? 'undefined' : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** The human report: per race, what happened, where, in which order, how often. */
export function renderReport(report: RaceReport, options: { color: boolean; root: string }): string {
  const style = options.color ? ansi : plain;
  const out: string[] = [];
  const { events, traces } = report.stats;
  if (report.races.length === 0) {
    out.push(style.bold(`No races found`) + style.dim(` (${events} events, ${traces} traces analysed)`));
    return `${out.join('\n')}\n`;
  }
  const critical = report.races.filter((r) => r.severity === 'critical').length;
  out.push(style.bold(`${report.races.length} race${report.races.length === 1 ? '' : 's'} found`) + ` (${critical} critical)` + style.dim(` in ${events} events, ${traces} traces`));
  report.races.forEach((race, i) => {
    out.push('');
    const badge = race.severity === 'critical' ? style.red('CRITICAL') : style.yellow(race.severity.toUpperCase());
    out.push(`${i + 1}. ${badge} ${style.bold(KIND_TEXT[race.kind] ?? race.kind)} on ${style.cyan(race.variable)}`);
    const possible = race.possibleOccurrences > 0 ? ` (and ${race.possibleOccurrences} more possible under other schedules)` : '';
    out.push(`   ${race.observed ? 'observed in this run' : 'possible under another schedule (did not happen in this run)'}, ${race.occurrences} occurrence${race.occurrences === 1 ? '' : 's'}${possible}; services: ${race.services.join(', ')}`);
    if (race.orderFromTimestamps) out.push(style.dim('   order across processes taken from timestamps'));
    out.push('   interleaving:');
    race.accesses.forEach((a, k) => {
      const who = a.role === 'A' ? 'A' : 'B';
      out.push(`     ${k + 1}. [${who}] ${a.access.padEnd(5)} ${a.variable} = ${formatValue(a.value)}  at ${style.bold(a.location)}`);
      out.push(style.dim(`        task ${a.task}, trace ${a.traceId}, service ${a.service}`));
    });
    const seen = new Set<string>();
    for (const a of race.accesses) {
      if (seen.has(a.location)) continue;
      seen.add(a.location);
      const lines = sourceLines(a.location, options.root, style);
      if (lines.length) {
        out.push(`   ${a.location}:`);
        for (const l of lines) out.push(`     ${l}`);
      }
    }
  });
  return `${out.join('\n')}\n`;
}
