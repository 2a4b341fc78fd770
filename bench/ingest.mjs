// Events per second that `raceway serve` acknowledges (committed) from 4 concurrent senders posting
// 100-event batches over loopback. Target: >= 100k events/s.
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function batch(sender, n, size) {
  const events = [];
  for (let i = 0; i < size; i++) {
    const seq = n * size + i;
    events.push({
      id: `${String(sender).padStart(8, '0')}-0000-8000-8000-${String(seq).padStart(12, '0')}`,
      trace_id: `${String(seq % 5000).padStart(8, '0')}-0000-4000-8000-000000000000`,
      parent_id: null,
      timestamp: '2026-11-26T10:00:00.000Z',
      kind: { StateChange: { variable: `accounts.u${seq % 50}.balance`, old_value: 100, new_value: 90, location: 'src/bank.ts:12:5', access_type: seq % 2 ? 'Write' : 'Read' } },
      metadata: { thread_id: `p.${seq % 977}`, process_id: 1, service_name: 'bench', environment: 'bench', tags: { sdk_language: 'typescript' } },
      causality_vector: [[`p.${seq % 977}`, 1], ['p.0', 3]],
      lock_set: [],
      raceway: { v: 1, seq, process: `p${sender}`, task: `p.${seq % 977}`, unit: `p.${seq % 977}`, segment: seq, time_us: 1 },
    });
  }
  return JSON.stringify({ events });
}

export async function ingest({ quick = false } = {}) {
  const dir = path.join(repo, 'test-output', 'bench-ingest');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const server = spawn(process.execPath, [path.join(repo, 'server', 'bin', 'raceway.mjs'), 'serve', '--port', '0', '--db', path.join(dir, 'bench.db')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve) => server.stdout.on('data', (c) => { const m = /listening on (http:\/\/\S+)/.exec(String(c)); if (m) resolve(m[1]); }));
  const perSender = quick ? 20 : 500;
  const senders = 4;
  const bodies = Array.from({ length: senders }, (_, s) => Array.from({ length: perSender }, (_, n) => batch(s, n, 100)));
  const started = process.hrtime.bigint();
  let acknowledged = 0;
  await Promise.all(bodies.map(async (list) => {
    for (const body of list) {
      const res = await fetch(`${url}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const reply = await res.json();
      acknowledged += reply.data.inserted;
    }
  }));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  server.kill('SIGTERM');
  const rate = acknowledged / seconds;
  process.stdout.write(`\nIngest: ${acknowledged} events from ${senders} concurrent senders in ${seconds.toFixed(2)} s = ${Math.round(rate)} events/s (target >= 100000: ${(rate / 100000).toFixed(2)}x of target)\n`);
  return [{ benchmark: 'ingest', metric: 'events/s vs 100k target', ratio: rate / 100000, target: '>= 1x' }];
}
