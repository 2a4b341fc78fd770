import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { toReport } from '../analysis/report.js';
import type { RaceReport } from '../analysis/report.js';
import { LOG_LEVELS } from '../http/app.js';
import type { LogLevel } from '../http/app.js';
import { renderReport, sawNothing } from './render.js';
import { isLoopbackHost } from '../http/request-origin.js';
import { parseDuration, startServer } from './server-process.js';
import type { RunningServer } from './server-process.js';
import { explore } from '../explore/explore-runs.js';
import { indexAccesses } from '../explore/access-index.js';
import type { CommandRun } from '../explore/explore-runs.js';
import { describeHold, EXPLORE_ENV, scheduleOfReplayId } from '../explore/hold.js';
import type { Schedule } from '../explore/hold.js';
import { terminalSafe, terminalSafeJson } from './terminal-text.js';
import { describeLocation, storeLocation } from '../store/open-store.js';

const USAGE = `usage:
  raceway serve [--host 127.0.0.1] [--port 8080] [--store .raceway/raceway.db | :memory: | postgres://user@host/db]
                [--api-key-file F] [--retain 7d] [--root DIR]
                [--log-level info] [--request-timeout 30s] [--max-connections N]
  raceway run [--explore [N] [--explore-time 5m] [--seed S] | --replay ID]
              [--json FILE] [--fail-on-race [--allow-empty]] [--store PATH|URL] [--root DIR] [--ui] [--port N] [--log-level error] -- <command ...>
  raceway races [--endpoint URL] [--api-key-file F] [--json]
  raceway check [--endpoint URL] [--api-key-file F] [--json] [--allow-empty]
                (exits 3 when any race exists, 4 when there was nothing to analyse)
  raceway annotate [--project tsconfig.json] [--json] [--write] [--check] [--min-risk high|medium|low]

  store: --store (or --db) takes a SQLite file, :memory:, or a PostgreSQL URL; serve also reads RACEWAY_DATABASE_URL
  keys: --api-key-file F (one key per line) or RACEWAY_API_KEY / RACEWAY_API_KEYS (comma-separated);
        --api-key K also works but shows the key to every user of the machine in the process list
`;

/** Keys from a file: one per line; blank lines and lines starting with # are skipped. */
function keysFromFile(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read --api-key-file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
      cause: error,
    });
  }
  const keys = text
    .split(/\r?\n/)
    .map((k) => k.trim())
    .filter((k) => k && !k.startsWith('#'));
  if (keys.length === 0) throw new Error(`--api-key-file ${file} holds no key`);
  return keys;
}

function keysFrom(values: { 'api-key'?: string[] | undefined; 'api-key-file'?: string | undefined }): string[] {
  const fromEnv = [process.env.RACEWAY_API_KEY ?? '', ...(process.env.RACEWAY_API_KEYS ?? '').split(',')]
    .map((k) => k.trim())
    .filter(Boolean);
  const fromFile = values['api-key-file'] ? keysFromFile(values['api-key-file']) : [];
  if (values['api-key']?.length)
    process.stderr.write(
      'raceway: --api-key is visible to every user of this machine (process list); prefer RACEWAY_API_KEY or --api-key-file\n',
    );
  return [...(values['api-key'] ?? []), ...fromFile, ...fromEnv];
}

function logLevel(value: string | undefined, fallback: LogLevel): LogLevel {
  if (value === undefined) return fallback;
  if (!(LOG_LEVELS as readonly string[]).includes(value))
    throw new Error(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${value}"`);
  return value as LogLevel;
}

/** `--request-timeout`: a duration like 30s or 2m, at least one second. */
function timeoutMs(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(value, '--request-timeout');
  if (ms < 1000) throw new Error(`--request-timeout must be at least 1s, got "${value}"`);
  return ms;
}

async function serve(args: string[], env: CliEnvironment): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '8080' },
      store: { type: 'string' },
      db: { type: 'string' },
      'api-key': { type: 'string', multiple: true },
      'api-key-file': { type: 'string' },
      retain: { type: 'string' },
      root: { type: 'string', default: process.cwd() },
      'log-level': { type: 'string' },
      'request-timeout': { type: 'string' },
      'max-connections': { type: 'string' },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port must be a port number, got "${values.port}"`);
  const apiKeys = keysFrom(values);
  const requestTimeoutMs = timeoutMs(values['request-timeout']);
  const maxConnections = values['max-connections'] === undefined ? undefined : Number(values['max-connections']);
  if (maxConnections !== undefined && (!Number.isInteger(maxConnections) || maxConnections < 16))
    throw new Error(`--max-connections must be a whole number of at least 16, got "${values['max-connections']}"`);
  const limits = { ...(requestTimeoutMs ? { requestTimeoutMs } : {}), ...(maxConnections ? { maxConnections } : {}) };
  const db = storeOption(values, process.env.RACEWAY_DATABASE_URL || '.raceway/raceway.db');
  const server = await startServer({
    host: values.host!,
    port,
    db,
    apiKeys,
    sourceRoot: values.root!,
    logLevel: logLevel(values['log-level'], 'info'),
    limits,
    ...(env.uiDir ? { uiDir: env.uiDir } : {}),
    ...(env.ingestThread ? { ingestThread: env.ingestThread } : {}),
    ...(env.analysisThread ? { analysisThread: env.analysisThread } : {}),
    ...(values.retain ? { retainMs: parseDuration(values.retain, '--retain') } : {}),
  });
  process.stdout.write(
    `raceway listening on ${server.url} (events: POST ${server.url}/events, store: ${describeLocation(storeLocation(db))})\n`,
  );
  process.stdout.write(`web UI: ${server.url}/\n`);
  if (!isLoopbackHost(values.host!) && apiKeys.length === 0) {
    process.stderr.write(
      `\n!!! WARNING: listening on ${values.host} without any API key: anyone who can reach this address can read and write your traces.\n!!! Set RACEWAY_API_KEY or pass --api-key-file.\n\n`,
    );
  }
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  return 0;
}

/** `--store`, or its older name `--db`, or the default. */
function storeOption(values: { store?: string | undefined; db?: string | undefined }, fallback: string): string {
  if (values.store !== undefined && values.db !== undefined)
    throw new Error('give the store once: --store (or its older name --db), not both');
  const chosen = values.store ?? values.db ?? fallback;
  if (chosen.trim() === '') throw new Error('--store needs a SQLite file, :memory:, or a postgres:// URL');
  return chosen;
}

/** Options of `raceway run` that take a value (the word after them is not the command). */
const RUN_VALUE_OPTIONS = new Set([
  '--json',
  '--db',
  '--store',
  '--explore-time',
  '--seed',
  '--replay',
  '--port',
  '--root',
  '--log-level',
]);

/** `--explore` takes an optional count: `--explore 5`, `--explore=5`, or `--explore` alone (10 reruns). */
function withExploreCount(own: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < own.length; i++) {
    if (own[i] !== '--explore') out.push(own[i]!);
    else if (/^\d+$/.test(own[i + 1] ?? '')) out.push(`--explore=${own[++i]}`);
    else out.push('--explore=10');
  }
  return out;
}

async function run(args: string[], env: CliEnvironment): Promise<number> {
  const split = args.indexOf('--');
  const own = withExploreCount(split === -1 ? args : args.slice(0, split));
  const command = split === -1 ? [] : args.slice(split + 1);
  const stray = own.find((a, i) => !a.startsWith('-') && !(i > 0 && RUN_VALUE_OPTIONS.has(own[i - 1]!)));
  if (stray !== undefined) {
    const at = own.indexOf(stray);
    throw new Error(`put the command after --: raceway run ${[...own.slice(0, at), '--', ...own.slice(at)].join(' ')}`);
  }
  const { values } = parseArgs({
    args: own,
    options: {
      json: { type: 'string' },
      'fail-on-race': { type: 'boolean', default: false },
      'allow-empty': { type: 'boolean', default: false },
      store: { type: 'string' },
      db: { type: 'string' },
      ui: { type: 'boolean', default: false },
      port: { type: 'string', default: '0' },
      root: { type: 'string', default: process.cwd() },
      'log-level': { type: 'string' },
      explore: { type: 'string' },
      'explore-time': { type: 'string', default: '5m' },
      seed: { type: 'string' },
      replay: { type: 'string' },
    },
  });
  if (command.length === 0) throw new Error(`raceway run needs a command after --\n${USAGE}`);
  if (values.explore !== undefined && values.replay !== undefined)
    throw new Error('--explore and --replay do not go together: replay one schedule, or explore');
  const reruns = values.explore === undefined ? 0 : wholeNumber(values.explore, '--explore', 1, 1000);
  const timeLimitMs = parseDuration(values['explore-time']!, '--explore-time');
  const seed =
    values.seed === undefined
      ? Math.floor(Math.random() * 2 ** 31)
      : wholeNumber(values.seed, '--seed', 0, 2 ** 32 - 1);
  const replayed = values.replay === undefined ? undefined : scheduleOfReplayId(values.replay);
  const tty = process.stderr.isTTY;
  const serverOptions = {
    host: '127.0.0.1',
    apiKeys: [],
    sourceRoot: values.root!,
    logLevel: logLevel(values['log-level'], 'error'),
    ...(env.uiDir ? { uiDir: env.uiDir } : {}),
    ...(env.ingestThread ? { ingestThread: env.ingestThread } : {}),
    ...(env.analysisThread ? { analysisThread: env.analysisThread } : {}),
  };
  const server = await startServer({
    ...serverOptions,
    port: Number(values.port),
    // An embedded store unless asked: a run's events are its own.
    db: storeOption(values, ':memory:'),
  });
  if (tty) process.stderr.write(`raceway: collecting on ${server.url} while running: ${command.join(' ')}\n`);
  const first = await runCommand(command, server, replayed, tty);
  let report = first.report;
  if (reruns > 0 && first.started) {
    const explored = await explore(report, {
      index: await indexAccesses(server.store.allEvents(['StateChange'])),
      reruns,
      timeLimitMs,
      seed,
      onRerun: (index, race, schedule) =>
        process.stderr.write(
          `raceway: rerun ${index}/${reruns} towards the ${race.kind} on ${terminalSafe(race.variable)}: ${describeHold(schedule.holds[0]!)}\n`,
        ),
      run: async (schedule) => {
        // Each rerun has a store of its own: what it shows is what that schedule did.
        const rerun = await startServer({ ...serverOptions, port: 0, db: ':memory:' });
        try {
          return await runCommand(command, rerun, schedule, false);
        } finally {
          await rerun.close();
        }
      },
    });
    report = explored.report;
  }
  const commandText = command.join(' ');
  process.stdout.write(
    renderReport(report, { color: Boolean(process.stdout.isTTY), root: values.root!, command: commandText }),
  );
  if (values.json) writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
  if (values.ui) {
    process.stdout.write(`raceway: results stay available at ${server.url}/ (Ctrl-C to stop)\n`);
    await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  }
  await server.close();
  if (values['fail-on-race'] && report.races.length > 0) return 3;
  if (values['fail-on-race'] && sawNothing(report) && !values['allow-empty']) {
    process.stderr.write(
      'raceway: --fail-on-race found nothing to analyse (see above); pass --allow-empty if that is expected\n',
    );
    return 4;
  }
  return first.code;
}

/** A whole number option within bounds. */
function wholeNumber(text: string, option: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max)
    throw new Error(`${option} expects a whole number from ${min} to ${max}, got "${text}"`);
  return n;
}

/** Runs the command once against `server` (steered by `schedule` when given) and analyses what it sent. */
async function runCommand(
  command: string[],
  server: RunningServer,
  schedule: Schedule | undefined,
  tty: boolean,
): Promise<CommandRun> {
  let started = true;
  const code = await new Promise<number>((resolve) => {
    const child = spawn(command[0]!, command.slice(1), {
      stdio: 'inherit',
      env: {
        ...process.env,
        RACEWAY_ENDPOINT: server.url,
        ...(schedule ? { [EXPLORE_ENV]: JSON.stringify(schedule) } : {}),
      },
    });
    child.on('error', (error) => {
      process.stderr.write(`raceway: cannot start ${command[0]}: ${error.message}\n`);
      started = false;
      resolve(127);
    });
    child.on('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 128 : 1)));
  });
  // The command's exit flush is acknowledged before it exits; leave in-flight requests a moment.
  await new Promise((r) => setTimeout(r, 200));
  if (tty)
    process.stderr.write(
      `raceway: ${command[0]} exited with ${code}; analysing ${(await server.store.counts()).events} events…\n`,
    );
  const analysed = await server.analysis.current();
  const report = toReport(
    analysed.races,
    await server.store.counts(),
    undefined,
    analysed.notAnalysed,
    analysed.accesses,
  );
  return { code, started, report };
}

/**
 * `raceway annotate` lives in its own package (it brings the TypeScript compiler, which a server does not
 * need); loaded on demand, with the command that installs it when it is missing.
 */
async function loadAnnotate(): Promise<{ annotate(args: string[]): Promise<number> }> {
  try {
    return (await import('@raceway/annotate')) as { annotate(args: string[]): Promise<number> };
  } catch (error) {
    if (
      (error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND' &&
      (error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND'
    )
      throw error;
    throw new Error('raceway annotate needs the @raceway/annotate package: npm install --save-dev @raceway/annotate', {
      cause: error,
    });
  }
}

async function fetchReport(args: string[]): Promise<{ report: RaceReport; json: boolean; allowEmpty: boolean }> {
  const { values } = parseArgs({
    args,
    options: {
      endpoint: { type: 'string', default: process.env.RACEWAY_ENDPOINT ?? 'http://127.0.0.1:8080' },
      'api-key': { type: 'string' },
      'api-key-file': { type: 'string' },
      json: { type: 'boolean', default: false },
      'allow-empty': { type: 'boolean', default: false },
    },
  });
  const key =
    values['api-key'] ??
    (values['api-key-file'] ? keysFromFile(values['api-key-file'])[0] : undefined) ??
    process.env.RACEWAY_API_KEY;
  const response = await fetch(`${values.endpoint!.replace(/\/+$/, '')}/api/races`, {
    headers: key ? { authorization: `Bearer ${key}` } : {},
  }).catch((error: Error) => {
    throw new Error(`cannot reach ${values.endpoint}: ${error.message}`);
  });
  const body = (await response.json()) as { success: boolean; data: RaceReport; error: string | null };
  if (!response.ok) throw new Error(`${values.endpoint} answered ${response.status}: ${body.error}`);
  return { report: body.data, json: values.json!, allowEmpty: values['allow-empty']! };
}

/** What the `raceway` binary knows about its installation. */
export interface CliEnvironment {
  /** The built web UI, when present. */
  uiDir?: string;
  /** The built ingest-thread module; with it, ingest parses and writes on worker threads. */
  ingestThread?: string;
  /** The built analysis-thread module; with it, a file database is analysed on a thread of its own. */
  analysisThread?: string;
}

export async function main(argv: string[], env: CliEnvironment = {}): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return serve(rest, env);
    case 'run':
      return run(rest, env);
    case 'annotate':
      return (await loadAnnotate()).annotate(rest);
    case 'races':
    case 'check': {
      const { report, json, allowEmpty } = await fetchReport(rest);
      process.stdout.write(
        json
          ? `${terminalSafeJson(JSON.stringify(report, null, 2))}\n`
          : renderReport(report, { color: Boolean(process.stdout.isTTY), root: process.cwd() }),
      );
      if (command !== 'check') return 0;
      if (report.races.length > 0) return 3;
      return sawNothing(report) && !allowEmpty ? 4 : 0;
    }
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`raceway: unknown command "${command}"\n${USAGE}`);
      return 2;
  }
}
