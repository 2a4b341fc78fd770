import type { RaceReport } from '../analysis/report.js';
import { sourceExcerpt } from '../source/source-excerpt.js';
import { terminalSafe } from './terminal-text.js';

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

/** Source around a location, under the same containment rule as the server's (regular source files inside `root`). */
function sourceLines(location: string, root: string, style: Style): string[] {
  return (sourceExcerpt(location, root) ?? []).map(({ line, text, here }) => {
    const row = `${String(line).padStart(5)} | ${terminalSafe(text, { keepTabs: true })}`;
    return here ? style.bold(`>${row.slice(1)}`) : style.dim(row);
  });
}

function formatValue(v: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(v);
  } catch {
    text = '[unprintable]';
  }
  return text === undefined ? 'undefined' : terminalSafe(text.length > 60 ? `${text.slice(0, 57)}...` : text);
}

/** Every string from events goes through this before it reaches the terminal. */
const t = (s: unknown) => terminalSafe(String(s));

/** The report rests on nothing: no event arrived, or none was a tracked access. */
export function sawNothing(report: RaceReport): boolean {
  return report.stats.events === 0 || report.stats.accesses === 0;
}

/** Why a report saw nothing, and what usually causes it. */
function nothingSeen(report: RaceReport, style: Style): string[] {
  if (report.stats.events === 0) {
    return [
      style.yellow('Nothing to analyse: no event arrived.'),
      '  Likely causes:',
      '  - the program does not use @raceway/runtime, or did not get RACEWAY_ENDPOINT (raceway run sets it for the command it starts;',
      '    a server started another way, a container or a child process with its own environment does not see it);',
      '  - it exited before its events were sent (await raceway.shutdown() at the end of scripts and tests).',
    ];
  }
  if (report.stats.accesses === 0) {
    return [
      style.yellow(`No tracked access among ${report.stats.events} events: there was nothing to find races in.`),
      '  Likely causes:',
      '  - the code was built with plain tsc or another tool instead of tspc with @raceway/transformer, or Babel with',
      '    @raceway/babel-plugin (check for `@raceway/runtime/instrument` in the built files);',
      '  - no shared state is annotated: mark it /** @tracked */ (raceway annotate lists candidates);',
      '  - the events were dropped (see below) or the annotated code did not run.',
    ];
  }
  return [];
}

/** The human report: per race, what happened, where, in which order, how often. */
export function renderReport(
  report: RaceReport,
  options: { color: boolean; root: string; /** the command, for replay lines */ command?: string },
): string {
  const style = options.color ? ansi : plain;
  const out: string[] = [];
  const { events, traces } = report.stats;
  let notes = report.stats.racesNotListed ? style.dim(`\n(${report.stats.racesNotListed} more races not listed)`) : '';
  for (const n of report.stats.tracesNotAnalysed ?? []) {
    const parts = [n.dropped ? `${n.dropped} dropped whole` : '', n.truncated ? `${n.truncated} cut short` : '']
      .filter(Boolean)
      .join(', ');
    notes += `\n${style.yellow(`${n.dropped + n.truncated} traces were not analysed (${parts} by service ${t(n.service)} under load)`)}`;
  }
  if (report.races.length === 0) {
    const nothing = nothingSeen(report, style);
    if (nothing.length) out.push(...nothing);
    else
      out.push(
        style.bold(`No races found`) +
          style.dim(
            ` (${events} events, ${report.stats.accesses !== undefined ? `${report.stats.accesses} tracked accesses, ` : ''}${traces} traces analysed)`,
          ),
      );
    return `${out.join('\n')}${notes}\n`;
  }
  const critical = report.races.filter((r) => r.severity === 'critical').length;
  out.push(
    style.bold(`${report.races.length} race${report.races.length === 1 ? '' : 's'} found`) +
      ` (${critical} critical)` +
      style.dim(` in ${events} events, ${traces} traces`),
  );
  const explored = report.exploration;
  if (explored)
    out.push(
      `exploration: ${explored.reruns} rerun${explored.reruns === 1 ? '' : 's'} (seed ${explored.seed}) confirmed ${explored.confirmed} predicted race${explored.confirmed === 1 ? '' : 's'}` +
        (explored.stillPredicted ? `; ${explored.stillPredicted} still predicted` : '') +
        (explored.stopped ? style.yellow(`; stopped: ${t(explored.stopped)}`) : ''),
    );
  report.races.forEach((race, i) => {
    out.push('');
    const badge = race.severity === 'critical' ? style.red('CRITICAL') : style.yellow(race.severity.toUpperCase());
    out.push(
      `${i + 1}. ${badge} ${style.bold(KIND_TEXT[race.kind] ?? t(race.kind))} on ${style.cyan(t(race.variable))}`,
    );
    const possible =
      race.possibleOccurrences > 0 ? ` (and ${race.possibleOccurrences} more possible under other schedules)` : '';
    const confirmed = race.exploration?.confirmed;
    const status = confirmed
      ? style.red(`confirmed: it happened in rerun ${confirmed.rerun} of --explore`)
      : race.observed
        ? 'observed in this run'
        : 'possible under another schedule (did not happen in this run)';
    out.push(
      `   ${status}, ${race.occurrences} occurrence${race.occurrences === 1 ? '' : 's'}${possible}; services: ${t(race.services.join(', '))}`,
    );
    if (confirmed) {
      for (const how of confirmed.how) out.push(`   schedule: ${t(how)}`);
      out.push(
        style.dim(`   replay: raceway run --replay ${confirmed.replay} -- ${t(options.command ?? '<command>')}`),
      );
    } else if (race.exploration)
      out.push(
        style.dim(
          race.exploration.schedulesTried === 0
            ? '   --explore tried no schedule for it (no rerun left, or its accesses are not in code this runtime can hold)'
            : `   --explore tried ${race.exploration.schedulesTried} schedule${race.exploration.schedulesTried === 1 ? '' : 's'} for it; none made it happen`,
        ),
      );
    if (race.orderFromTimestamps) out.push(style.dim('   order across processes taken from timestamps'));
    if (race.hint) out.push(style.yellow(`   hint: ${race.hint}`));
    const elsewhere = (race.locations ?? []).filter((l) => !race.accesses.some((a) => a.location === l));
    if (elsewhere.length) out.push(style.dim(`   also at: ${t(elsewhere.join(', '))}`));
    out.push('   interleaving:');
    race.accesses.forEach((a, k) => {
      const who = a.role === 'A' ? 'A' : 'B';
      out.push(
        `     ${k + 1}. [${who}] ${t(a.access).padEnd(5)} ${t(a.variable)} = ${formatValue(a.value)}  at ${style.bold(t(a.location))}`,
      );
      out.push(style.dim(`        task ${t(a.task)}, trace ${t(a.traceId)}, service ${t(a.service)}`));
    });
    const seen = new Set<string>();
    for (const a of race.accesses) {
      if (seen.has(a.location)) continue;
      seen.add(a.location);
      const lines = sourceLines(a.location, options.root, style);
      if (lines.length) {
        out.push(`   ${t(a.location)}:`);
        for (const l of lines) out.push(`     ${l}`);
      }
    }
  });
  return `${out.join('\n')}${notes}\n`;
}
