// `npm run bench` runs every benchmark and prints one summary table; `--quick` is a seconds-long
// smoke run (used by CI so the harness keeps working; it asserts nothing about speed).
import os from 'node:os';
import { analysisAdversarial, analysisScaling } from './analysis.mjs';
import { compactReadback } from './compact-readback.mjs';
import { promiseWorkload } from './promise-workload.mjs';
import { httpOverhead } from './http-overhead.mjs';
import { httpStages } from './http-stages.mjs';
import { httpInstructions } from './http-instructions.mjs';
import { ingest } from './ingest.mjs';
import { longRunning } from './long-running.mjs';
import { instrumentation } from './instrumentation.mjs';
import { outage } from './outage.mjs';
import { exploreBench } from './explore.mjs';
import { storedAnalysis } from './stored-analysis.mjs';
import { runtimeHotPath } from './runtime-hot-path.mjs';
import { slowCollector } from './slow-collector.mjs';

const quick = process.argv.includes('--quick');
const benchmarks = [
  runtimeHotPath,
  instrumentation,
  promiseWorkload,
  longRunning,
  httpOverhead,
  slowCollector,
  httpStages,
  httpInstructions,
  ingest,
  compactReadback,
  analysisScaling,
  analysisAdversarial,
  storedAnalysis,
  exploreBench,
  outage,
];

process.stdout.write(
  `machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), Node ${process.version}${quick ? ', quick run' : ''}\n`,
);
const summary = [];
for (const bench of benchmarks) summary.push(...(await bench({ quick })));
process.stdout.write('\nSummary\n');
for (const row of summary) {
  process.stdout.write(
    `  ${row.benchmark.padEnd(22)} ${row.metric.padEnd(32)} ${row.ratio.toFixed(2).padStart(7)}x  target ${row.target}\n`,
  );
}
