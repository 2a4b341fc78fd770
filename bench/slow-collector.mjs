// Bursts against a collector that answers but falls behind: the instrumented Express service of
// http-overhead.mjs sends to a collector that acknowledges each POST after a fixed delay (at most ~5 000
// events per POST, one POST in flight: ~125k events/s at 40 ms, less than the service records under full
// load). Three bursts of full load with pauses between them (a service's traffic, not a siege), once with the
// SDK's backlog of encoded batches turned off (`maxBacklogBytes: 0`, the queue alone) and once with its
// default, side by side. Reports the events dropped, how much the backlog held at most, and requests/s.
import http from 'node:http';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BATCH_FORMATS_HEADER, COMPACT_FORMATS } from '@raceway/protocol';
import { compileService, load, startService } from './lib/express-service.mjs';
import { median } from './lib/harness.mjs';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'test-output', 'bench-slow-collector');
/** How long the collector takes to acknowledge a POST. */
const ANSWER_AFTER_MS = 40;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export async function slowCollector({ quick = false } = {}) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const instrumented = compileService(dir, 'instrumented', { instrument: true });
  const collector = http.createServer((req, res) => {
    req.on('data', () => {});
    req.on('end', () =>
      setTimeout(
        () =>
          res
            .writeHead(200, { 'content-type': 'application/json', [BATCH_FORMATS_HEADER]: COMPACT_FORMATS })
            .end('{"success":true,"data":null,"error":null}'),
        ANSWER_AFTER_MS,
      ),
    );
  });
  await new Promise((resolve) => collector.listen(0, '127.0.0.1', resolve));
  const env = { INSTRUMENTED: '1', RACEWAY_ENDPOINT: `http://127.0.0.1:${collector.address().port}` };
  const cases = {
    'queue alone (maxBacklogBytes 0)': { RACEWAY_MAX_BACKLOG_BYTES: '0' },
    'with the backlog (default)': {},
  };
  const apps = {};
  try {
    for (const [name, extra] of Object.entries(cases))
      apps[name] = await startService(instrumented, { ...env, ...extra });
    const bursts = quick ? 1 : 3;
    const seconds = quick ? 1 : 5;
    const rates = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
    for (let b = 0; b < bursts; b++) {
      for (const name of Object.keys(cases)) {
        rates[name].push((await load(apps[name].url, seconds)).average);
        await sleep(quick ? 500 : 3000);
      }
    }
    await sleep(quick ? 1000 : 5000); // the last backlog drains before the services are told to stop
    for (const { child } of Object.values(apps)) child.kill('SIGTERM');
    const stats = {};
    for (const name of Object.keys(cases)) stats[name] = await apps[name].stats;
    process.stdout.write(
      `\nSlow collector (acknowledges each POST after ${ANSWER_AFTER_MS} ms; ${bursts} bursts of ${seconds}s at full load, pauses between)\n`,
    );
    for (const name of Object.keys(cases)) {
      const s = stats[name];
      const total = s ? s.sent + s.dropped : 0;
      process.stdout.write(
        `  ${name.padEnd(32)} ${median(rates[name]).toFixed(0).padStart(6)} req/s   ` +
          (s
            ? `${s.sent} events sent, ${s.dropped} dropped (${((100 * s.dropped) / Math.max(1, total)).toFixed(1)}%), backlog at most ${(s.backlogPeakBytes / 2 ** 20).toFixed(1)} MiB\n`
            : 'no counters\n'),
      );
    }
    const [without, withBacklog] = Object.keys(cases).map((name) => stats[name]);
    const share = (s) => (s ? s.dropped / Math.max(1, s.sent + s.dropped) : 1);
    return [
      {
        benchmark: 'Slow collector',
        metric: 'events delivered, backlog',
        ratio: 1 - share(withBacklog),
        target: '1.00x (none dropped)',
      },
      {
        benchmark: 'Slow collector',
        metric: 'events delivered, queue alone',
        ratio: 1 - share(without),
        target: 'info',
      },
      {
        benchmark: 'Slow collector',
        metric: 'req/s backlog / queue alone',
        ratio: median(rates[Object.keys(cases)[1]]) / median(rates[Object.keys(cases)[0]]),
        target: 'info',
      },
    ];
  } finally {
    for (const { child } of Object.values(apps)) {
      child.removeAllListeners('exit');
      if (child.exitCode === null) child.kill('SIGTERM');
    }
    collector.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url))
  await slowCollector({ quick: process.argv.includes('--quick') });
