// Requests/s of an Express service without awaits in its handler, uninstrumented vs instrumented
// (tsc + transformer, ~20 tracked accesses per request, events flowing to a real `raceway serve`),
// driven by autocannon on loopback in alternating runs. Target: instrumented >= 0.90x.
// A third case sends the same events to a collector that reads and discards them: the app's own cost
// (recording, serialising, sending) apart from the collector's, which shares this machine's cores; a fourth
// sends them to it as standard events instead of compact batches.
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileService, load, startDiscardingCollector, startService } from './lib/express-service.mjs';
import { median } from './lib/harness.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = path.join(repo, 'test-output', 'bench-http');

export async function httpOverhead({ quick = false } = {}) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const plain = compileService(dir, 'plain', { instrument: false });
  const instrumented = compileService(dir, 'instrumented', { instrument: true });
  const collector = spawn(
    process.execPath,
    [path.join(repo, 'server', 'bin', 'raceway.mjs'), 'serve', '--port', '0', '--db', path.join(dir, 'events.db')],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const endpoint = await new Promise((resolve) =>
    collector.stdout.on('data', (c) => {
      const m = /listening on (http:\/\/\S+)/.exec(String(c));
      if (m) resolve(m[1]);
    }),
  );
  const discard = await startDiscardingCollector();
  const apps = {
    plain: await startService(plain, { RACEWAY_ENABLED: 'false' }),
    instrumented: await startService(instrumented, { INSTRUMENTED: '1', RACEWAY_ENDPOINT: endpoint }),
    discarded: await startService(instrumented, {
      INSTRUMENTED: '1',
      RACEWAY_ENDPOINT: `http://127.0.0.1:${discard.address().port}`,
    }),
    standard: await startService(instrumented, {
      INSTRUMENTED: '1',
      RACEWAY_ENDPOINT: `http://127.0.0.1:${discard.address().port}`,
      RACEWAY_COMPACT_BATCHES: 'false',
    }),
  };
  const rounds = quick ? 1 : 5;
  const seconds = quick ? 1 : 5;
  const samples = { plain: [], instrumented: [], discarded: [], standard: [] };
  const names = Object.keys(samples);
  for (const name of names) await load(apps[name].url, 1);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(k + r) % names.length]; // rotate, so no case always runs first
      samples[name].push((await load(apps[name].url, seconds)).average);
    }
  }
  for (const { child } of Object.values(apps)) child.kill('SIGTERM');
  const sent = {
    instrumented: await apps.instrumented.stats,
    discarded: await apps.discarded.stats,
    standard: await apps.standard.stats,
  };
  collector.kill('SIGTERM');
  discard.close();
  const p = median(samples.plain);
  const i = median(samples.instrumented);
  const d = median(samples.discarded);
  const st = median(samples.standard);
  process.stdout.write(
    `\nHTTP overhead (Express, 19 tracked accesses, 28 events per request, autocannon 20 connections, ${rounds} x ${seconds}s alternating)\n`,
  );
  process.stdout.write(
    `  uninstrumented  ${p.toFixed(0).padStart(7)} req/s   1.00x\n  instrumented    ${i.toFixed(0).padStart(7)} req/s   ${(i / p).toFixed(2)}x   (target >= 0.90x)\n`,
  );
  process.stdout.write(
    `  instrumented, events to a discarding collector ${d.toFixed(0).padStart(7)} req/s   ${(d / p).toFixed(2)}x   (the app's own cost, target >= 0.90x)\n`,
  );
  process.stdout.write(
    `  the same with standard events (compactBatches: false) ${st.toFixed(0).padStart(7)} req/s   ${(st / p).toFixed(2)}x\n`,
  );
  const counts = (s) =>
    s
      ? `${s.sent} events sent, ${s.dropped} dropped (queue full)` +
        (s.backlogPeakBytes ? `, backlog at most ${(s.backlogPeakBytes / 2 ** 20).toFixed(1)} MiB` : '')
      : 'no counters';
  process.stdout.write(
    `  SDK counters: to raceway serve ${counts(sent.instrumented)}; to the discarding collector ${counts(sent.discarded)}; standard ${counts(sent.standard)}\n`,
  );
  return [
    { benchmark: 'HTTP overhead', metric: 'instrumented / plain req/s', ratio: i / p, target: '>= 0.90x' },
    { benchmark: 'HTTP overhead', metric: 'same, collector discards events', ratio: d / p, target: '>= 0.90x' },
    { benchmark: 'HTTP overhead', metric: 'same, standard events', ratio: st / p, target: 'info' },
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await httpOverhead({ quick: process.argv.includes('--quick') });
