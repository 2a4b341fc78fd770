// Events per second that `raceway serve` acknowledges (committed to its store) when 32 connections post
// 100-event batches (the SDK's default batch size) over loopback: SQLite with standard events (target >=
// 100k events/s) and with compact batches of 100 and 1 000 events (target >= 250k events/s), then
// PostgreSQL with one and with two instances, side by side in the same run.
// The load generator (bench/lib/post-batches.mjs: pre-built requests on keep-alive sockets) runs on the
// same machine; the output also reports where the CPU went, so a busy machine can be told from a slow server.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { postAll, prepareRequests } from './lib/post-batches.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BATCH = 100;
const CONNECTIONS = Number(process.env.RACEWAY_BENCH_CONNECTIONS ?? 32);

// Many traces at once, each spread over the whole run: the hardest case for the per-trace index.
export function body(sender, n) {
  const events = [];
  for (let i = 0; i < BATCH; i++) {
    const seq = n * BATCH + i;
    events.push({
      id: `${String(sender).padStart(8, '0')}-0000-8000-8000-${String(seq).padStart(12, '0')}`,
      trace_id: `${String(seq % 5000).padStart(8, '0')}-0000-4000-8000-000000000000`,
      parent_id: null,
      timestamp: '2026-11-26T10:00:00.000Z',
      kind: {
        StateChange: {
          variable: `accounts.u${seq % 50}.balance`,
          old_value: 100,
          new_value: 90,
          location: 'src/bank.ts:12:5',
          access_type: seq % 2 ? 'Write' : 'Read',
        },
      },
      metadata: {
        thread_id: `p.${seq % 977}`,
        process_id: 1,
        service_name: 'bench',
        environment: 'bench',
        tags: { sdk_language: 'typescript' },
      },
      causality_vector: [
        [`p.${seq % 977}`, 1],
        ['p.0', 3],
      ],
      lock_set: [],
      raceway: {
        v: 1,
        seq,
        process: `p${sender}`,
        task: `p.${seq % 977}`,
        unit: `p.${seq % 977}`,
        segment: seq,
        time_us: 1,
      },
    });
  }
  return JSON.stringify({ events });
}

/** A compact batch's fields other than its tables and events: sender `sender`'s `n`-th batch. */
const batchHeader = (version, sender, n) => ({
  raceway_batch: version,
  id_prefix: `${String(sender).padStart(8, '0')}-0000-8000-`,
  process: `p${sender}`,
  process_id: 1,
  service_name: 'bench',
  environment: 'bench',
  instance_id: 'bench-1',
  tags: { sdk_language: 'typescript' },
  t0: 1_796_000_000_000_000 + n,
});

/**
 * The same events as `body` in the compact form our SDK sends to a server that reads it (per-batch tables
 * of strings, traces, tasks and clocks; `size` events per batch).
 */
export function compactBody(sender, n, size = BATCH) {
  const strings = [];
  const index = new Map();
  const str = (s) => {
    if (!index.has(s)) index.set(s, strings.push(s) - 1);
    return index.get(s);
  };
  const traces = [];
  const traceIndex = new Map();
  const tasks = [];
  const taskIndex = new Map();
  const clocks = [];
  const clockIndex = new Map();
  const events = [];
  for (let i = 0; i < size; i++) {
    const seq = n * size + i + 1;
    const trace = seq % 5000;
    if (!traceIndex.has(trace))
      traceIndex.set(
        trace,
        traces.push([
          `${String(trace).padStart(8, '0')}-0000-4000-8000-000000000000`,
          `${String(trace).padStart(16, '0')}`,
          null,
        ]) - 1,
      );
    const taskId = `p.${seq % 977}`;
    const taskKey = `${taskId}/${trace}`;
    if (!taskIndex.has(taskKey))
      taskIndex.set(taskKey, tasks.push([str(taskId), -1, str(taskId), 0, traceIndex.get(trace)]) - 1);
    if (!clockIndex.has(taskId)) clockIndex.set(taskId, clocks.push([str(taskId), 1, str('p.0'), 3]) - 1);
    events.push([
      seq,
      taskIndex.get(taskKey),
      0,
      seq,
      i,
      clockIndex.get(taskId),
      [],
      -1,
      [seq % 2, str(`accounts.u${seq % 50}.balance`), str('src/bank.ts:12:5'), 100, 90],
    ]);
  }
  return JSON.stringify({ ...batchHeader(1, sender, n), strings, traces, tasks, clocks, events });
}

/** Events per request in `runsBody`: the HTTP benchmark's handler records 28. */
const PER_REQUEST = 28;

/**
 * Request-shaped compact batches: each request's events come from a handler without an await (one task,
 * one segment, consecutive sequence numbers): version 2 puts them in one run, as our SDK sends them to this
 * server; version 1 writes each event out. Traces stay spread as in `body` (5 000 open at once); reads and
 * writes alternate over 50 variables.
 */
export function requestsBody(sender, n, size, version) {
  const strings = [];
  const index = new Map();
  const str = (s) => {
    if (!index.has(s)) index.set(s, strings.push(s) - 1);
    return index.get(s);
  };
  const traces = [];
  const tasks = [];
  const clocks = [];
  const runs = [];
  const events = [];
  let run;
  for (let i = 0; i < size; i++) {
    const seq = n * size + i + 1;
    const request = Math.floor((seq - 1) / PER_REQUEST);
    if (!run || (seq - 1) % PER_REQUEST === 0) {
      const trace = request % 5000;
      const t =
        traces.push([
          `${String(trace).padStart(8, '0')}-0000-4000-8000-${String(request).padStart(12, '0')}`,
          `${String(request).padStart(16, '0')}`,
          null,
        ]) - 1;
      const task = tasks.push([str(`p.${request}`), -1, str(`p.${request}`), 0, t]) - 1;
      const clock = clocks.push([str(`p.${request}`), 1, str('p.0'), 3]) - 1;
      run = [seq, task, 0, request, i, clock, [], -1];
      runs.push(run);
    }
    const write = seq % 2;
    const change = write
      ? [1, str(`accounts.u${seq % 50}.balance`), str('src/bank.ts:12:5'), 100, 90]
      : [0, str(`accounts.u${seq % 50}.balance`), str('src/bank.ts:11:5'), 100];
    if (version === 2) run.push(change[0] * 2 + write, ...change.slice(1));
    else events.push([seq, run[1], seq === run[0] ? 0 : seq - 1, run[3], run[4], run[5], [], -1, change]);
  }
  return JSON.stringify({
    ...batchHeader(version, sender, n),
    strings,
    traces,
    tasks,
    clocks,
    ...(version === 2 ? { runs } : { events }),
  });
}

const machineTicks = () =>
  os.cpus().reduce(
    (t, c) => ({
      busy: t.busy + c.times.user + c.times.nice + c.times.sys + c.times.irq,
      idle: t.idle + c.times.idle,
    }),
    { busy: 0, idle: 0 },
  );
/** CPU seconds a process has used (Linux /proc), or undefined elsewhere. */
function processCpu(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** CPU seconds of every PostgreSQL process on this machine (its backends do the database's share of ingest). */
function postgresCpu() {
  let total = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'postgres') continue;
      total += processCpu(pid) ?? 0;
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

/** Starts `raceway serve` on `store` and resolves to the process and its URL. */
async function startServe(store) {
  const server = spawn(
    process.execPath,
    [path.join(repo, 'server', 'bin', 'raceway.mjs'), 'serve', '--port', '0', '--store', store],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const url = await new Promise((resolve, reject) => {
    server.once('exit', (code) => reject(new Error(`raceway serve exited with ${code}`)));
    server.stdout.on('data', (c) => {
      const m = /listening on (http:\/\/\S+)/.exec(String(c));
      if (m) resolve(m[1]);
    });
  });
  return { server, url };
}

/**
 * One configuration: `instances` servers on `store`, the batches split between them, `CONNECTIONS` in all.
 * Returns the acknowledged rate and the CPU per event of the servers and of PostgreSQL.
 */
async function measure(label, store, instances, { quick, form = 'standard' }) {
  const servers = [];
  for (let i = 0; i < instances; i++) servers.push(await startServe(store));
  const warmup = quick ? 50 : 500;
  const measured = quick ? 200 : 6000;
  const size = form.endsWith('-1000') ? 10 * BATCH : BATCH;
  const count = Math.ceil(((warmup + measured) * BATCH) / size);
  const bodies = Array.from({ length: count }, (_, n) =>
    form === 'standard'
      ? body(n % 4, n)
      : form.startsWith('requests')
        ? requestsBody(n % 4, n, size, form.startsWith('requests-v2') ? 2 : 1)
        : compactBody(n % 4, n, size),
  );
  const warm = Math.ceil((warmup * BATCH) / size);
  const share = (list) => servers.map((_, i) => list.filter((__, k) => k % instances === i));
  const postEverywhere = (list) =>
    Promise.all(
      share(list).map((part, i) =>
        postAll(servers[i].url, prepareRequests(`${servers[i].url}/events`, part), Math.ceil(CONNECTIONS / instances)),
      ),
    );
  await postEverywhere(bodies.slice(0, warm)); // JIT, page cache, the store's first index run, today's partition
  const machineBefore = machineTicks();
  const serversBefore = servers.map((s) => processCpu(s.server.pid));
  const pgBefore = store.startsWith('postgres') ? postgresCpu() : 0;
  const clientBefore = process.cpuUsage();
  const started = performance.now();
  const results = await postEverywhere(bodies.slice(warm));
  const seconds = (performance.now() - started) / 1000;
  const client = process.cpuUsage(clientBefore);
  const serversCpu = servers.reduce(
    (sum, s, i) => sum + ((processCpu(s.server.pid) ?? 0) - (serversBefore[i] ?? 0)),
    0,
  );
  const pgCpu = store.startsWith('postgres') ? postgresCpu() - pgBefore : 0;
  const machineAfter = machineTicks();
  for (const s of servers) s.server.kill('SIGTERM');
  await Promise.all(servers.map((s) => new Promise((resolve) => s.server.once('exit', resolve))));
  const acknowledged = results.reduce((sum, r) => sum + r.acknowledged, 0);
  const failed = results.reduce((sum, r) => sum + r.failed, 0);
  const rate = acknowledged / seconds;
  const busy =
    (machineAfter.busy - machineBefore.busy) /
    (machineAfter.busy - machineBefore.busy + machineAfter.idle - machineBefore.idle);
  const perEvent = (cpuSeconds) => `${((cpuSeconds * 1e6) / acknowledged).toFixed(1)} µs`;
  process.stdout.write(
    `  ${label.padEnd(26)} ${String(Math.round(rate)).padStart(7)} events/s${failed ? ` (${failed} requests failed)` : ''}; CPU per event: raceway ${perEvent(serversCpu)}` +
      `${store.startsWith('postgres') ? `, PostgreSQL ${perEvent(pgCpu)}` : ''}, load generator ${perEvent((client.user + client.system) / 1e6)}; machine busy ${Math.round(busy * 100)}%\n`,
  );
  return rate;
}

/** The PostgreSQL database benchmarks may use (a schema of their own is created and dropped). */
const POSTGRES = process.env.RACEWAY_BENCH_DATABASE_URL || process.env.RACEWAY_TEST_DATABASE_URL;

async function dropSchema(url, schema) {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
}

export async function ingest({ quick = false } = {}) {
  const dir = path.join(repo, 'test-output', 'bench-ingest');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  process.stdout.write(
    `\nIngest (${CONNECTIONS} connections, ${BATCH}-event batches, 5 000 traces open; stores side by side in one run)\n`,
  );
  const rows = [];
  const sqlite = await measure('SQLite, 1 instance', path.join(dir, 'bench.db'), 1, { quick });
  rows.push({ benchmark: 'ingest', metric: 'SQLite events/s vs 100k target', ratio: sqlite / 100000, target: '>= 1x' });
  // The compact forms: per-batch tables, numbers as numbers (version 1, one array per event), and version 2,
  // what our SDK sends this server (a request's events in one run).
  for (const form of ['compact-100', 'compact-1000', 'requests-v1-1000', 'requests-v2-1000']) {
    const rate = await measure(`SQLite, ${form}`, path.join(dir, `${form}.db`), 1, { quick, form });
    rows.push({
      benchmark: 'ingest',
      metric: `SQLite ${form} events/s vs 250k target`,
      ratio: rate / 250000,
      target: '>= 1x',
    });
  }
  if (!POSTGRES) {
    process.stdout.write('  PostgreSQL rows skipped: set RACEWAY_BENCH_DATABASE_URL or RACEWAY_TEST_DATABASE_URL\n');
    return rows;
  }
  for (const instances of [1, 2]) {
    const schema = `rw_bench_${process.pid}_${instances}`;
    const url = new URL(POSTGRES);
    url.searchParams.set('schema', schema);
    try {
      const rate = await measure(
        `PostgreSQL, ${instances} instance${instances > 1 ? 's' : ''}`,
        url.toString(),
        instances,
        { quick },
      );
      rows.push({
        benchmark: 'ingest',
        metric: `PostgreSQL x${instances} vs SQLite`,
        ratio: rate / sqlite,
        target: 'report',
      });
    } finally {
      await dropSchema(POSTGRES, schema);
    }
  }
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await ingest({ quick: process.argv.includes('--quick') });
