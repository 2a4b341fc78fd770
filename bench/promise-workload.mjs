// A promise-heavy workload in the shape of p-limit / p-queue: N traced async tasks through a concurrency
// limiter of 4, each reading and updating tracked counters across an await. Compiled once plain and once
// with the Babel plugin, each run in its own process: plain, instrumented with tracking off
// (RACEWAY_ENABLED=false), instrumented with events kept in memory. Prints ratios of side-by-side runs and
// the growth of the instrumented run over N (clock work per task must not grow with the tasks created).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as babel from '@babel/core';
import racewayBabelPlugin from '@raceway/babel-plugin';
import { median } from './lib/harness.mjs';

const require = createRequire(import.meta.url);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(repo, 'test-output', 'bench-promise-workload');

const SOURCE = `
/** @tracked */ let active = 0;
/** @tracked */ let done = 0;
const queue: Array<() => void> = [];
/** @traced */
async function limited<T>(fn: () => Promise<T>): Promise<T> {
  while (active >= 4) await new Promise<void>((resolve) => queue.push(resolve));
  active++;
  try {
    return await fn();
  } finally {
    active--;
    queue.shift()?.();
  }
}
/** @traced */
async function task(i: number): Promise<number> {
  const before = done;
  await Promise.resolve();
  done = before + 1;
  return i;
}
const n = Number(process.env.TASKS);
const times: number[] = [];
for (let round = 0; round < Number(process.env.ROUNDS ?? 1); round++) {
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: n }, (_, i) => limited(() => task(i))));
  times.push(Number(process.hrtime.bigint() - started) / 1e6);
}
process.stdout.write(times.join(' '));
`;

function compile(instrument) {
  const file = path.join(out, 'workload.ts');
  const plugins = instrument ? [[racewayBabelPlugin, { root: out }]] : [];
  return babel.transformSync(SOURCE, {
    filename: file,
    babelrc: false,
    configFile: false,
    presets: [[require.resolve('@babel/preset-typescript'), {}]],
    plugins,
  }).code;
}

/** Milliseconds each round of the workload took in a fresh process. */
function runRounds(file, tasks, env) {
  const harness = path.join(repo, 'test', 'conformance', 'harness.mjs');
  const args = env.RECORD ? ['--import', harness, file] : [file];
  const result = spawnSync(process.execPath, args, {
    encoding: 'utf8',
    cwd: repo,
    env: {
      ...process.env,
      TASKS: String(tasks),
      RACEWAY_LOG: 'silent',
      RACEWAY_EVENTS_OUT: path.join(out, 'events.json'),
      ...env,
    },
    timeout: 600_000,
  });
  if (result.status !== 0) throw new Error(result.stderr);
  return result.stdout.trim().split(' ').map(Number);
}

/** The first round: what a short-lived process pays, start-up and compilation included. */
const runOnce = (file, tasks, env) => runRounds(file, tasks, { ...env, ROUNDS: '1' })[0];
/** Rounds after the first five of thirty in one process: the cost per call once the code is compiled. */
const steady = (file, tasks, env) => median(runRounds(file, tasks, { ...env, ROUNDS: '30' }).slice(5));

export async function promiseWorkload({ quick = false } = {}) {
  mkdirSync(out, { recursive: true });
  const plain = path.join(out, 'plain.mjs');
  const instrumented = path.join(out, 'instrumented.mjs');
  writeFileSync(plain, compile(false));
  writeFileSync(instrumented, compile(true));
  const tasks = quick ? 500 : 4000;
  const rounds = quick ? 3 : 5;
  const samples = { plain: [], off: [], on: [], plainSteady: [], offSteady: [] };
  for (let r = 0; r < rounds; r++) {
    samples.plain.push(runOnce(plain, tasks, {}));
    samples.off.push(runOnce(instrumented, tasks, { RACEWAY_ENABLED: 'false' }));
    samples.on.push(runOnce(instrumented, tasks, { RECORD: '1' }));
    samples.plainSteady.push(steady(plain, tasks, {}));
    samples.offSteady.push(steady(instrumented, tasks, { RACEWAY_ENABLED: 'false' }));
  }
  const base = median(samples.plain);
  const off = median(samples.off) / base;
  const on = median(samples.on) / base;
  const offSteady = median(samples.offSteady) / median(samples.plainSteady);
  process.stdout.write(`\nPromise-heavy workload (${tasks} traced tasks through a limiter of 4)\n`);
  process.stdout.write(
    `  instrumented, tracking off / plain, compiled   ${offSteady.toFixed(2)}x   (${median(samples.offSteady).toFixed(1)} ms vs ${median(samples.plainSteady).toFixed(1)} ms per round, rounds 6-30 of one process)\n`,
  );
  process.stdout.write(
    `  instrumented, tracking off / plain, first run  ${off.toFixed(2)}x   (${median(samples.off).toFixed(1)} ms vs ${base.toFixed(1)} ms)\n`,
  );
  process.stdout.write(
    `  instrumented, recording / plain      ${on.toFixed(2)}x   (${median(samples.on).toFixed(1)} ms)\n`,
  );
  const sizes = quick ? [250, 500, 1000] : [500, 1000, 2000, 4000, 8000];
  const times = sizes.map((n) =>
    median(Array.from({ length: quick ? 1 : 3 }, () => runOnce(instrumented, n, { RECORD: '1' }))),
  );
  const exponent = Math.log(times.at(-1) / times[0]) / Math.log(sizes.at(-1) / sizes[0]);
  process.stdout.write(
    `  recording, ${sizes.join(' / ')} tasks: ${times.map((t) => t.toFixed(0)).join(' / ')} ms; growth exponent ${exponent.toFixed(2)} (1.0 = linear)\n`,
  );
  return [
    { benchmark: 'promise workload', metric: 'tracking off / plain, compiled', ratio: offSteady, target: '<= 1.2x' },
    {
      benchmark: 'promise workload',
      metric: 'tracking off / plain, first run of a process',
      ratio: off,
      target: 'for information',
    },
    { benchmark: 'promise workload', metric: 'recording / plain', ratio: on, target: 'for information' },
    {
      benchmark: 'promise workload',
      metric: 'recording, growth exponent over tasks',
      ratio: exponent,
      target: '<= 1.1',
    },
  ];
}
