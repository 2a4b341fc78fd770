// Analysis time and peak memory for 10k, 100k and 1M synthetic events shaped like a service under
// load: many traces, a few hot variables, read-modify-writes across an await, some real races.
import { accessesFrom, analyze, IncrementalAnalysis, toReport } from '@raceway/server';

export function synthetic(count) {
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
      const clock = [
        [task, 1],
        ['p.0', base + r + 1],
      ];
      for (const [access, segment] of [
        ['Read', 1],
        ['Write', 2],
      ]) {
        seq++;
        t += 7;
        events.push({
          id: `e${seq}`,
          trace_id: `${String(base + r).padStart(8, '0')}-0000-4000-8000-000000000000`,
          timestamp: '2026-11-26T10:00:00.000Z',
          kind: {
            StateChange: {
              variable,
              old_value: 1,
              new_value: 2,
              location: `src/app.ts:${access === 'Read' ? 10 : 12}:5`,
              access_type: access,
            },
          },
          metadata: { thread_id: task, service_name: 'svc' },
          causality_vector: clock,
          lock_set: [],
          raceway: {
            seq: access === 'Read' ? seq : seq + (r === 0 ? 1 : -1),
            process: 'p',
            task,
            unit: task,
            segment: base * 4 + r * 2 + segment,
            time_us: t,
          },
        });
      }
    }
  }
  return events.slice(0, count);
}

export async function analysisScaling({ quick = false } = {}) {
  const sizes = quick
    ? [1_000, 10_000]
    : process.env.RACEWAY_BENCH_SIZES
      ? process.env.RACEWAY_BENCH_SIZES.split(',').map(Number)
      : [10_000, 100_000, 1_000_000];
  const rows = [];
  for (const size of sizes) {
    const events = synthetic(size);
    globalThis.gc?.();
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().heapUsed);
    }, 5);
    const started = process.hrtime.bigint();
    const { races } = analyze(accessesFrom(events));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    rows.push({ size, seconds, peakMb: (peak - before) / 1048576, races: races.length });
  }
  process.stdout.write('\nAnalysis scaling (synthetic events)\n');
  for (const r of rows)
    process.stdout.write(
      `  ${String(r.size).padStart(9)} events  ${r.seconds.toFixed(3).padStart(8)} s  +${r.peakMb.toFixed(0)} MB heap  ${r.races} race groups\n`,
    );
  const first = rows[0];
  const last = rows[rows.length - 1];
  const exponent = Math.log(last.seconds / first.seconds) / Math.log(last.size / first.size);
  process.stdout.write(
    `  growth exponent ${exponent.toFixed(2)} (1.0 = linear); largest run ${last.seconds.toFixed(2)} s (target for 1M: <= 10 s)\n`,
  );
  return [
    { benchmark: 'analysis', metric: 'growth exponent', ratio: exponent, target: '~1' },
    { benchmark: 'analysis', metric: `${last.size} events, seconds / 10 s`, ratio: last.seconds / 10, target: '<= 1x' },
  ];
}

/**
 * Adversarial input: `units` units that each read x and, after every other unit's read, write it, all at
 * distinct code locations — every pair of units could interleave (the shape that was quadratic).
 */
function adversarial(units) {
  const events = [];
  const trace = '0af76519-16cd-43dd-8448-eb211c80319c';
  for (let u = 0; u < units; u++) {
    for (const [access, phase] of [
      ['Read', 0],
      ['Write', 1],
    ]) {
      const t = phase * units + u;
      events.push({
        id: `a${u}-${phase}`,
        trace_id: trace,
        timestamp: '2026-11-26T10:00:00.000Z',
        kind: {
          StateChange: {
            variable: 'x',
            old_value: u,
            new_value: u + 1,
            location: `gen.ts:${u}:${phase ? 9 : 1}`,
            access_type: access,
          },
        },
        metadata: { thread_id: `t${u}`, service_name: 'svc' },
        causality_vector: [[`t${u}`, phase + 1]],
        lock_set: [],
        raceway: { seq: t, process: 'p', task: `t${u}`, unit: `t${u}`, segment: u * 2 + phase, time_us: t * 10 },
      });
    }
  }
  return events;
}

function measure(fn) {
  globalThis.gc?.();
  const before = process.memoryUsage().heapUsed;
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }, 5);
  const started = process.hrtime.bigint();
  const value = fn();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().heapUsed);
  return { value, seconds, peakMb: Math.max(0, peak - before) / 1048576 };
}

export async function analysisAdversarial({ quick = false } = {}) {
  const sizes = quick ? [700, 7_000] : [700, 7_000, 70_000];
  const rows = sizes.map((units) => {
    const events = adversarial(units);
    const {
      value: report,
      seconds,
      peakMb,
    } = measure(() => toReport(analyze(accessesFrom(events)).races, { events: events.length, traces: 1 }));
    return { events: events.length, seconds, peakMb, races: report.races.length, bytes: JSON.stringify(report).length };
  });
  process.stdout.write('\nAnalysis of adversarial input (every pair of units could interleave, distinct locations)\n');
  for (const r of rows)
    process.stdout.write(
      `  ${String(r.events).padStart(9)} events  ${r.seconds.toFixed(3).padStart(8)} s  +${r.peakMb.toFixed(0)} MB heap  ${r.races} report lines, ${(r.bytes / 1024).toFixed(1)} KB report\n`,
    );
  const first = rows[0];
  const last = rows[rows.length - 1];
  const exponent = Math.log(last.seconds / first.seconds) / Math.log(last.events / first.events);
  process.stdout.write(
    `  growth exponent ${exponent.toFixed(2)} (1.0 = linear); report ${last.bytes > first.bytes * 2 ? 'grows' : 'stays bounded'}\n`,
  );

  // Incremental: a store of `base` events, then 1% more arrive.
  const base = quick ? 20_000 : 500_000;
  const events = synthetic(base + base / 100);
  const incremental = new IncrementalAnalysis();
  incremental.add(events.slice(0, base));
  incremental.races();
  const update = measure(() => {
    incremental.add(events.slice(base));
    return incremental.races();
  });
  const whole = measure(() => analyze(accessesFrom(events)));
  process.stdout.write(
    `  incremental: ${base / 100} new events on ${base} re-analysed in ${(update.seconds * 1000).toFixed(0)} ms; the whole analysis takes ${(whole.seconds * 1000).toFixed(0)} ms (${(update.seconds / whole.seconds).toFixed(3)}x)\n`,
  );
  return [
    { benchmark: 'analysis, adversarial', metric: 'growth exponent', ratio: exponent, target: '<= 1.1' },
    {
      benchmark: 'analysis, adversarial',
      metric: 'report bytes, largest / smallest input',
      ratio: last.bytes / first.bytes,
      target: 'bounded',
    },
    {
      benchmark: 'analysis, incremental',
      metric: '1% new events / whole analysis, seconds',
      ratio: update.seconds / whole.seconds,
      target: '<< 1x',
    },
  ];
}
