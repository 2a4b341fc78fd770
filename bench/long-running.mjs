// A long-running process: 100 000 timer ticks (a chain of immediates and an interval), each reading and
// updating tracked state, with a batch of 10 awaited traced calls every 500 ticks. Its events go to a
// collector that measures them. Printed: bytes per event and vector entries over the first and the last
// 10 000 events, and the process's heap at 10 000 ticks and at the end. Target: flat (ratio ≈ 1.0), and
// no event with more than a few dozen vector entries.
import { spawn } from 'node:child_process';
import http from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = path.join(repo, 'test-output', 'bench-long-running');

const PROGRAM = `
import { RacewayClient } from '@raceway/runtime';
import * as rw from '@raceway/runtime/instrument';
const raceway = RacewayClient.fromEnv({ serviceName: 'long-running', maxQueue: 200_000 });
const TICKS = Number(process.env.TICKS);
let counter = 0;
let polls = 0;
const heap = [];
const interval = setInterval(() => { polls = rw.write('polls', polls, polls + 1, 'job.ts:8:3'); }, 1);
async function batch(n) {
  await Promise.all(Array.from({ length: 10 }, (_, i) => rw.callAsync('work', 'job', 'job.ts:12:1', [], async () => {
    rw.write('slot.' + i, null, n, 'job.ts:13:5');
    await Promise.resolve();
  })));
}
await new Promise((resolve) => {
  let tick = 0;
  const step = () => {
    tick++;
    const c = rw.read('counter', counter, 'job.ts:20:15');
    counter = rw.write('counter', c, c + 1, 'job.ts:21:5');
    if (tick === 10_000) heap.push(process.memoryUsage().heapUsed);
    if (tick % 500 === 0) void batch(tick);
    // A pause every 200 ticks lets the sender keep up: every event is measured.
    if (tick < TICKS) (tick % 200 === 0 ? setTimeout(step, 4) : setImmediate(step));
    else resolve();
  };
  setImmediate(step);
});
clearInterval(interval);
global.gc?.();
heap.push(process.memoryUsage().heapUsed);
await raceway.shutdown();
process.stdout.write(JSON.stringify({ heap, stats: raceway.stats() }));
`;

/** A collector that keeps, per event, its size in bytes and its vector's length. */
function collector() {
  const sizes = [];
  const widths = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      for (const e of body.events ?? []) {
        sizes.push(Buffer.byteLength(JSON.stringify(e)));
        widths.push(e.causality_vector.length);
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"success":true}');
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, sizes, widths, url: `http://127.0.0.1:${server.address().port}` }),
    ),
  );
}

const mean = (list) => list.reduce((a, b) => a + b, 0) / Math.max(1, list.length);

export async function longRunning({ quick = false } = {}) {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'job.mjs');
  writeFileSync(file, PROGRAM);
  const ticks = Number(process.env.BENCH_TICKS) || (quick ? 20_000 : 100_000);
  const col = await collector();
  const output = await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', file], {
      cwd: repo,
      env: { ...process.env, TICKS: String(ticks), RACEWAY_ENDPOINT: col.url, RACEWAY_LOG: 'silent' },
    });
    let text = '';
    child.stdout.on('data', (d) => (text += d));
    child.stderr.on('data', (d) => process.stderr.write(d));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(text)) : reject(new Error(`exit ${code}`))));
  });
  col.server.close();
  const window = 10_000;
  const firstBytes = mean(col.sizes.slice(0, window));
  const lastBytes = mean(col.sizes.slice(-window));
  const firstWidth = mean(col.widths.slice(0, window));
  const lastWidth = mean(col.widths.slice(-window));
  const widest = col.widths.reduce((a, b) => Math.max(a, b), 0);
  const [heapEarly, heapEnd] = output.heap;
  process.stdout.write(
    `\nLong-running process (${ticks} ticks, ${col.sizes.length} events received, ${output.stats.dropped} dropped)\n`,
  );
  process.stdout.write(
    `  bytes per event, last ${window} / first ${window}      ${(lastBytes / firstBytes).toFixed(2)}x   (${lastBytes.toFixed(0)} vs ${firstBytes.toFixed(0)} B)\n`,
  );
  process.stdout.write(
    `  vector entries, last / first           ${lastWidth.toFixed(1)} vs ${firstWidth.toFixed(1)}; widest ${widest}\n`,
  );
  process.stdout.write(
    `  heap at the end / at 10 000 ticks       ${(heapEnd / heapEarly).toFixed(2)}x   (${(heapEnd / 1e6).toFixed(1)} vs ${(heapEarly / 1e6).toFixed(1)} MB)\n`,
  );
  return [
    {
      benchmark: 'long-running process',
      metric: `bytes per event after ${ticks} ticks / at start`,
      ratio: lastBytes / firstBytes,
      target: '≈ 1.0',
    },
    { benchmark: 'long-running process', metric: 'widest vector (entries)', ratio: widest, target: '<= 34' },
    {
      benchmark: 'long-running process',
      metric: 'heap at the end / at 10 000 ticks',
      ratio: heapEnd / heapEarly,
      target: '≈ 1.0',
    },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) await longRunning({ quick: process.argv.includes('--quick') });
