// An app emitting 1M tracked events with the collector down: peak RSS stays bounded (the queue is a
// fixed ring), and the app's own throughput compared with the collector up (medians of alternating runs).
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './lib/harness.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = path.join(repo, 'test-output', 'bench-outage');

const APP = `import { RacewayClient } from '@raceway/runtime';
import * as rw from '@raceway/runtime/instrument';
const total = Number(process.argv[2]);
const client = RacewayClient.fromEnv({ serviceName: 'outage', onDiagnostic: () => {} });
let peak = 0;
let value = 0;
const started = performance.now();
await client.startTrace('load', async () => {
  for (let done = 0; done < total; done += 10000) {
    for (let i = 0; i < 10000; i++) value = rw.write('counter', value, i, 'app.mjs:10:5');
    peak = Math.max(peak, process.memoryUsage().rss);
    await new Promise((r) => setImmediate(r));
  }
});
const ms = performance.now() - started;
const stats = client.stats();
process.stdout.write(JSON.stringify({ ms, peakRssMb: peak / 1048576, ...stats }) + '\\n');
await client.shutdown();
`;

function deadPort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function runApp(file, endpoint, total) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file, String(total)], {
      env: { ...process.env, RACEWAY_ENDPOINT: endpoint },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.on('exit', () => resolve(JSON.parse(out.trim().split('\n').pop())));
  });
}

export async function outage({ quick = false } = {}) {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'app.mjs');
  writeFileSync(file, APP);
  const total = quick ? 100_000 : 1_000_000;
  const collector = spawn(
    process.execPath,
    [path.join(repo, 'server', 'bin', 'raceway.mjs'), 'serve', '--port', '0', '--db', ':memory:'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const endpoint = await new Promise((resolve) =>
    collector.stdout.on('data', (c) => {
      const m = /listening on (http:\/\/\S+)/.exec(String(c));
      if (m) resolve(m[1]);
    }),
  );
  const deadEndpoint = `http://127.0.0.1:${await deadPort()}`;
  // Several alternating runs of each: a single pair moved the ratio from 1.19x to 0.59x between runs.
  const rounds = quick ? 1 : 5;
  const runs = { down: [], up: [] };
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? ['down', 'up'] : ['up', 'down'];
    for (const which of order) runs[which].push(await runApp(file, which === 'down' ? deadEndpoint : endpoint, total));
  }
  collector.kill('SIGTERM');
  const summary = (list) => ({
    ms: median(list.map((run) => run.ms)),
    peakRssMb: Math.max(...list.map((run) => run.peakRssMb)),
    sent: list.at(-1).sent,
    dropped: list.at(-1).dropped,
  });
  const down = summary(runs.down);
  const up = summary(runs.up);
  process.stdout.write(
    `\nClient under outage (${total} events; medians of ${rounds} alternating runs, the largest peak RSS)\n`,
  );
  process.stdout.write(
    `  collector down: ${down.ms.toFixed(0)} ms, peak RSS ${down.peakRssMb.toFixed(0)} MB, sent ${down.sent}, dropped ${down.dropped}\n`,
  );
  process.stdout.write(
    `  collector up:   ${up.ms.toFixed(0)} ms, peak RSS ${up.peakRssMb.toFixed(0)} MB, sent ${up.sent}, dropped ${up.dropped}\n`,
  );
  process.stdout.write(`  app throughput, down vs up: ${(up.ms / down.ms).toFixed(2)}x\n`);
  return [
    { benchmark: 'client outage', metric: 'app throughput down / up', ratio: up.ms / down.ms, target: '>= 1x' },
    {
      benchmark: 'client outage',
      metric: `peak RSS MB (collector down) / 100`,
      ratio: down.peakRssMb / 100,
      target: 'bounded',
    },
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await outage({ quick: process.argv.includes('--quick') });
