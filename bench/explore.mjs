// Exploration: on cases whose race the first run can only predict, the share confirmed by `raceway run
// --explore 10` (steered reruns) and the time it took, beside the same number of reruns without steering
// (the schedule left to timing); and on correct programs that get a prediction, that nothing is confirmed.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cases = path.join(repo, 'bench', 'explore-cases');
const out = path.join(repo, 'test-output', 'bench-explore');
const cli = path.join(repo, 'server', 'bin', 'raceway.mjs');
/** Programs whose every predicted race is impossible. */
const CORRECT = new Set(['spin-lock.ts', 'queue-handoff.ts']);

function build(file) {
  const babel = require('@babel/core');
  const source = path.join(cases, file);
  const { code } = babel.transformSync(readFileSync(source, 'utf8'), {
    filename: source,
    babelrc: false,
    configFile: false,
    presets: [[require.resolve('@babel/preset-typescript'), {}]],
    plugins: [[require.resolve('@raceway/babel-plugin'), { root: repo }]],
  });
  const built = path.join(out, file.replace(/\.ts$/, '.mjs'));
  writeFileSync(built, code);
  return built;
}

function run(program, args) {
  const json = path.join(out, 'report.json');
  const started = performance.now();
  const result = spawnSync(process.execPath, [cli, 'run', '--json', json, ...args, '--', process.execPath, program], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (result.status !== 0) throw new Error(`raceway run exited ${result.status}: ${result.stderr}`);
  return { seconds: (performance.now() - started) / 1000, report: JSON.parse(readFileSync(json, 'utf8')) };
}

export async function exploreBench({ quick = false } = {}) {
  mkdirSync(out, { recursive: true });
  const reruns = quick ? 3 : 10;
  process.stdout.write(`\nExploration (--explore ${reruns}, seed 1; unsteered: the same number of plain reruns)\n`);
  let predicted = 0;
  let steered = 0;
  let unsteered = 0;
  let falseConfirmations = 0;
  let steeredSeconds = 0;
  for (const file of readdirSync(cases)
    .filter((f) => f.endsWith('.ts'))
    .sort()) {
    const program = build(file);
    const first = run(program, []);
    const targets = first.report.races.filter((r) => !r.observed);
    const explored = run(program, ['--explore', String(reruns), '--seed', '1']);
    const confirmed = explored.report.races.filter((r) => r.exploration?.confirmed).length;
    // Without steering: does any plain rerun make a predicted race happen?
    let happened = 0;
    const pending = new Set(targets.map((r) => r.id));
    for (let i = 0; i < reruns && pending.size; i++) {
      for (const r of run(program, []).report.races) if (r.observed && pending.delete(r.id)) happened++;
    }
    if (CORRECT.has(file)) falseConfirmations += confirmed;
    else {
      predicted += targets.length;
      steered += confirmed;
      unsteered += happened;
      steeredSeconds += explored.seconds;
    }
    process.stdout.write(
      `  ${file.padEnd(26)} ${CORRECT.has(file) ? 'correct ' : 'racy    '} predicted ${targets.length}; steered: ${confirmed} confirmed in ${explored.report.exploration?.reruns ?? 0} reruns, ${explored.seconds.toFixed(1)} s; unsteered: ${happened} happened\n`,
    );
  }
  const share = predicted ? steered / predicted : 0;
  process.stdout.write(
    `  racy cases: ${steered}/${predicted} predicted races confirmed with steering (${steeredSeconds.toFixed(1)} s in all), ${unsteered}/${predicted} without; correct programs: ${falseConfirmations} confirmed (must be 0)\n`,
  );
  return [
    { benchmark: 'explore', metric: 'predicted races confirmed, share', ratio: share, target: '1x' },
    {
      benchmark: 'explore',
      metric: 'same, without steering',
      ratio: predicted ? unsteered / predicted : 0,
      target: 'for comparison',
    },
    { benchmark: 'explore', metric: 'confirmed in correct programs', ratio: falseConfirmations, target: '0' },
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await exploreBench({ quick: process.argv.includes('--quick') });
