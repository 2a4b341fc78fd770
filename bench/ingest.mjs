// Events per second that `raceway serve` acknowledges (committed to its SQLite file) when 32 connections
// post 100-event batches (the SDK's default batch size) over loopback. Target: >= 100k events/s.
// The load generator (bench/lib/post-batches.mjs: pre-built requests on keep-alive sockets) runs on the
// same machine; the output also reports where the CPU went, so a busy machine can be told from a slow server.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { postAll, prepareRequests } from './lib/post-batches.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BATCH = 100;
const CONNECTIONS = Number(process.env.RACEWAY_BENCH_CONNECTIONS ?? 32);

// Many traces at once, each spread over the whole run: the hardest case for the per-trace index.
function body(sender, n) {
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

export async function ingest({ quick = false } = {}) {
  const dir = path.join(repo, 'test-output', 'bench-ingest');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const server = spawn(
    process.execPath,
    [path.join(repo, 'server', 'bin', 'raceway.mjs'), 'serve', '--port', '0', '--db', path.join(dir, 'bench.db')],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const url = await new Promise((resolve) =>
    server.stdout.on('data', (c) => {
      const m = /listening on (http:\/\/\S+)/.exec(String(c));
      if (m) resolve(m[1]);
    }),
  );
  const warmup = quick ? 50 : 500;
  const measured = quick ? 200 : 6000;
  const requests = prepareRequests(
    `${url}/events`,
    Array.from({ length: warmup + measured }, (_, n) => body(n % 4, n)),
  );
  await postAll(url, requests.slice(0, warmup), CONNECTIONS); // JIT, page cache and the store's first index run
  const machineBefore = machineTicks();
  const serverBefore = processCpu(server.pid);
  const clientBefore = process.cpuUsage();
  const { acknowledged, seconds, failed } = await postAll(url, requests.slice(warmup), CONNECTIONS);
  const client = process.cpuUsage(clientBefore);
  const serverCpu = processCpu(server.pid);
  const machineAfter = machineTicks();
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  const rate = acknowledged / seconds;
  const busy =
    (machineAfter.busy - machineBefore.busy) /
    (machineAfter.busy - machineBefore.busy + machineAfter.idle - machineBefore.idle);
  const perEvent = (cpuSeconds) => `${((cpuSeconds * 1e6) / acknowledged).toFixed(1)} µs`;
  process.stdout.write(
    `\nIngest (${CONNECTIONS} connections, ${BATCH}-event batches, ${warmup * BATCH} warm-up events)\n` +
      `  ${acknowledged} events acknowledged${failed ? ` (${failed} requests failed)` : ''} in ${seconds.toFixed(2)} s = ${Math.round(rate)} events/s (target >= 100000: ${(rate / 100000).toFixed(2)}x)\n` +
      `  CPU per event: server ${serverBefore === undefined || serverCpu === undefined ? 'n/a' : perEvent(serverCpu - serverBefore)} (all threads), load generator ${perEvent((client.user + client.system) / 1e6)}; machine busy ${Math.round(busy * 100)}% of ${os.cpus().length} cores\n`,
  );
  return [{ benchmark: 'ingest', metric: 'events/s vs 100k target', ratio: rate / 100000, target: '>= 1x' }];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await ingest({ quick: process.argv.includes('--quick') });
