// Where the instrumented Express service's overhead goes, stage by stage (the service and load of
// bench/http-overhead.mjs): uninstrumented; the plain service with a middleware that only enters an
// AsyncLocalStorage context per request (what any context-propagating middleware costs); the SDK's middleware
// with no tracked access (its two events recorded, never encoded); instrumented with every event recorded and
// queued but never encoded; encoded as for `raceway serve` but not sent; sent from the app's thread, then
// from the sender thread (the default), to a collector that discards it. Each stage's ratio to the plain service, and the difference between
// neighbours, is what that stage costs the app. Then each service is driven at one fixed rate all of them
// sustain, and the app's CPU per request (user + system, from /proc) is compared: steadier than requests/s
// on a shared machine. It is given for all the app's threads and for its main (JavaScript) thread, which
// bounds the requests/s while another core has room: work moved to other threads shows as the difference.
// `--node <path>` runs the services under another Node binary (e.g. Node 24: AsyncContextFrame).
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileService, contextOnly, load, startDiscardingCollector, startService } from './lib/express-service.mjs';
import { median } from './lib/harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = path.join(here, '..', 'test-output', 'bench-http-stages');
const preload = path.join(here, 'lib', 'export-stage.mjs');

/**
 * CPU time used so far, in µs (Linux), or undefined: the whole process's, or with `mainThread` only its
 * main thread's (the app's JavaScript thread, which bounds its requests/s while another core is free).
 */
function cpuMicros(pid, mainThread = false) {
  try {
    const stat = readFileSync(mainThread ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}
/** `/proc/<pid>/stat` counts in clock ticks: 100 per second on Linux (USER_HZ). */
const TICKS_PER_SECOND = 100;

export async function httpStages({ quick = false, node = process.execPath } = {}) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const plain = compileService(dir, 'plain', { instrument: false });
  const instrumented = compileService(dir, 'instrumented', { instrument: true });
  const context = contextOnly(plain);
  const untracked = compileService(dir, 'middleware-only', { instrument: true, tracked: false });
  const discard = await startDiscardingCollector();
  // Each stage posts under its own path, so the collector's counts show that a stage was cut where it says.
  const on = (stage) => ({
    INSTRUMENTED: '1',
    RACEWAY_ENDPOINT: `http://127.0.0.1:${discard.address().port}/${stage}`,
    RACEWAY_BENCH_STAGE: stage,
  });
  const stages = [
    ['plain', 'uninstrumented', plain, { RACEWAY_ENABLED: 'false' }],
    ['context', 'a context per request, nothing recorded', context, { RACEWAY_ENABLED: 'false' }],
    ['middleware', "the SDK's middleware, no tracked access", untracked, on('recorded')],
    ['recorded', 'recorded and queued, never encoded', instrumented, on('recorded')],
    ['encoded', 'encoded (compact version 2), not sent', instrumented, on('encoded')],
    [
      'sent-app',
      "sent from the app's thread",
      instrumented,
      { ...on('sent-app'), RACEWAY_BENCH_STAGE: 'sent', RACEWAY_SENDER_THREAD: 'false' },
    ],
    ['sent', 'sent from the sender thread (default)', instrumented, on('sent')],
  ];
  const apps = {};
  try {
    for (const [name, , file, env] of stages) {
      apps[name] = await startService(file, env, { node, nodeArgs: ['--import', preload] });
    }
    const rounds = quick ? 1 : 5;
    const seconds = quick ? 1 : 4;
    const samples = Object.fromEntries(stages.map(([name]) => [name, []]));
    for (const [name] of stages) await load(apps[name].url, 1);
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < stages.length; k++) {
        const [name] = stages[(k + r) % stages.length]; // rotate, so no stage always runs first
        samples[name].push((await load(apps[name].url, seconds)).average);
      }
    }
    // CPU per request at one rate every stage sustains (four fifths of the slowest one's).
    const rate = Math.round((0.8 * Math.min(...stages.map(([name]) => median(samples[name])))) / 100) * 100;
    const cpu = Object.fromEntries(stages.map(([name]) => [name, []]));
    const mainCpu = Object.fromEntries(stages.map(([name]) => [name, []]));
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < stages.length; k++) {
        const [name] = stages[(k + r) % stages.length];
        const { pid } = apps[name].child;
        const before = [cpuMicros(pid), cpuMicros(pid, true)];
        const { total } = await load(apps[name].url, seconds, rate);
        const after = [cpuMicros(pid), cpuMicros(pid, true)];
        if (total === 0) continue;
        if (before[0] !== undefined && after[0] !== undefined) cpu[name].push((after[0] - before[0]) / total);
        if (before[1] !== undefined && after[1] !== undefined) mainCpu[name].push((after[1] - before[1]) / total);
      }
    }
    // A stage that still posts was not cut (the SDK's layout moved under bench/lib/export-stage.mjs).
    const leaked = ['recorded', 'encoded'].filter((stage) => discard.posts.get(`/${stage}/events`));
    if (leaked.length > 0) throw new Error(`stages ${leaked.join(', ')} still sent events: not cut where they say`);
    for (const stage of ['sent-app', 'sent'])
      if (!discard.posts.get(`/${stage}/events`)) throw new Error(`the "${stage}" stage sent nothing`);
    const plainRate = median(samples.plain);
    const ratio = Object.fromEntries(stages.map(([name]) => [name, median(samples[name]) / plainRate]));
    process.stdout.write(
      `\nHTTP overhead by stage (the service of the HTTP overhead benchmark, Node ${await versionOf(node)}, ${rounds} x ${seconds}s rotating; the step is what the stage adds, as a share of the plain service's requests/s and in CPU per request)\n`,
    );
    let previous = 1;
    let previousCpu;
    for (const [name, label] of stages) {
      const step = name === 'plain' ? '        ' : `${(ratio[name] - previous).toFixed(2).padStart(8)}`;
      const used = cpu[name].length > 0 ? median(cpu[name]) : undefined;
      const cpuStep =
        used !== undefined && previousCpu !== undefined
          ? ` (${used >= previousCpu ? '+' : ''}${(used - previousCpu).toFixed(1)})`
          : '';
      process.stdout.write(
        `  ${label.padEnd(42)} ${median(samples[name]).toFixed(0).padStart(7)} req/s ${ratio[name].toFixed(2)}x${step}` +
          (used !== undefined ? `   ${used.toFixed(1).padStart(6)} µs CPU per request${cpuStep}` : '') +
          (mainCpu[name].length > 0 ? `, main thread ${median(mainCpu[name]).toFixed(1)}` : '') +
          '\n',
      );
      previous = ratio[name];
      previousCpu = used;
    }
    process.stdout.write(`  (CPU per request at ${rate} requests/s, all stages; median of ${rounds})\n`);
    return [
      { benchmark: 'HTTP overhead stages', metric: 'a context per request only', ratio: ratio.context, target: 'info' },
      {
        benchmark: 'HTTP overhead stages',
        metric: 'middleware only, never encoded',
        ratio: ratio.middleware,
        target: 'info',
      },
      { benchmark: 'HTTP overhead stages', metric: 'recorded, never encoded', ratio: ratio.recorded, target: 'info' },
      { benchmark: 'HTTP overhead stages', metric: 'encoded, not sent', ratio: ratio.encoded, target: 'info' },
      {
        benchmark: 'HTTP overhead stages',
        metric: "sent from the app's thread, collector discards",
        ratio: ratio['sent-app'],
        target: 'info',
      },
      {
        benchmark: 'HTTP overhead stages',
        metric: 'sent from the sender thread, collector discards',
        ratio: ratio.sent,
        target: 'info',
      },
    ];
  } finally {
    for (const { child } of Object.values(apps)) {
      child.removeAllListeners('exit');
      child.kill('SIGTERM');
    }
    discard.close();
  }
}

function versionOf(node) {
  return new Promise((resolve) => {
    const child = spawn(node, ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.on('exit', () => resolve(out.trim().replace(/^v/, '')));
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--node');
  await httpStages({ quick: process.argv.includes('--quick'), node: at > 0 ? process.argv[at + 1] : undefined });
}
