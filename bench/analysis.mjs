// Analysis time and peak memory for 10k, 100k and 1M synthetic events shaped like a service under
// load: many traces, a few hot variables, read-modify-writes across an await, some real races.
import { accessesFrom, analyze } from '@raceway/server';

function synthetic(count) {
  const events = [];
  let seq = 0;
  let t = 0;
  const hot = ['accounts.alice.balance', 'accounts.bob.balance', 'cache.config', 'stats.requests'];
  while (events.length < count) {
    // Requests arrive in overlapping pairs; each does read · await · write on one hot variable.
    const base = seq;
    for (let r = 0; r < 2; r++) {
      const task = `p.${base + r + 1}`;
      const variable = hot[(base + r) % hot.length];
      const clock = [[task, 1], ['p.0', base + r + 1]];
      for (const [access, segment] of [['Read', 1], ['Write', 2]]) {
        seq++;
        t += 7;
        events.push({
          id: `e${seq}`, trace_id: `${String(base + r).padStart(8, '0')}-0000-4000-8000-000000000000`, timestamp: '2026-11-26T10:00:00.000Z',
          kind: { StateChange: { variable, old_value: 1, new_value: 2, location: `src/app.ts:${access === 'Read' ? 10 : 12}:5`, access_type: access } },
          metadata: { thread_id: task, service_name: 'svc' }, causality_vector: clock, lock_set: [],
          raceway: { seq: access === 'Read' ? seq : seq + (r === 0 ? 1 : -1), process: 'p', task, unit: task, segment: base * 4 + r * 2 + segment, time_us: t },
        });
      }
    }
  }
  return events.slice(0, count);
}

export async function analysisScaling({ quick = false } = {}) {
  const sizes = quick ? [1_000, 10_000] : process.env.RACEWAY_BENCH_SIZES ? process.env.RACEWAY_BENCH_SIZES.split(",").map(Number) : [10_000, 100_000, 1_000_000];
  const rows = [];
  for (const size of sizes) {
    const events = synthetic(size);
    globalThis.gc?.();
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().heapUsed); }, 5);
    const started = process.hrtime.bigint();
    const { races } = analyze(accessesFrom(events));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    rows.push({ size, seconds, peakMb: (peak - before) / 1048576, races: races.length });
  }
  process.stdout.write('\nAnalysis scaling (synthetic events)\n');
  for (const r of rows) process.stdout.write(`  ${String(r.size).padStart(9)} events  ${r.seconds.toFixed(3).padStart(8)} s  +${r.peakMb.toFixed(0)} MB heap  ${r.races} race groups\n`);
  const first = rows[0];
  const last = rows[rows.length - 1];
  const exponent = Math.log(last.seconds / first.seconds) / Math.log(last.size / first.size);
  process.stdout.write(`  growth exponent ${exponent.toFixed(2)} (1.0 = linear); largest run ${last.seconds.toFixed(2)} s (target for 1M: <= 10 s)\n`);
  return [
    { benchmark: 'analysis', metric: 'growth exponent', ratio: exponent, target: '~1' },
    { benchmark: 'analysis', metric: `${last.size} events, seconds / 10 s`, ratio: last.seconds / 10, target: '<= 1x' },
  ];
}
