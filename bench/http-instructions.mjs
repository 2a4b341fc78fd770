// Machine instructions per request of the Express service of http-overhead.mjs, counted by valgrind's
// callgrind after a warm-up (all the process's threads): uninstrumented, with only the middleware (no
// tracked access), and fully instrumented with its events sent to a collector that discards them. A full
// run also counts the stages of http-stages.mjs between them (a bare AsyncLocalStorage context; events
// recorded, never encoded; encoded, never sent), each stage's share to the instruction. Unlike requests/s,
// an instruction count does not move with what else the machine runs, so one run tells whether a change
// made the per-request cost smaller (within ±5%). plain / instrumented approximates the requests/s ratio of
// a CPU-bound service (it leaves out cache misses and the collector's share of the cores). Each count is
// also given without V8's optimizing compiler: a process ~50x slower under valgrind goes on compiling what a
// process at full speed compiled in its first seconds. Skipped where valgrind is missing.
import { execFileSync, spawn } from 'node:child_process';
import http from 'node:http';
import { mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileService, contextOnly, startDiscardingCollector } from './lib/express-service.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = path.join(repo, 'test-output', 'bench-http-instructions');
// Loaded into every case alike (it stops the export only where RACEWAY_BENCH_STAGE says so).
const preload = path.join(repo, 'bench', 'lib', 'export-stage.mjs');

/** Why the benchmark cannot run here, or undefined when valgrind can run this Node. */
function whyNotHere() {
  try {
    execFileSync('callgrind_control', ['--version'], { stdio: 'ignore' });
  } catch {
    return 'valgrind is not installed';
  }
  try {
    // Some CPUs or Node builds use instructions valgrind does not know: then nothing here can be counted.
    execFileSync('valgrind', ['--tool=none', '--error-exitcode=1', process.execPath, '-e', '0'], { stdio: 'pipe' });
  } catch (error) {
    const said = String(error.stderr ?? '')
      .trim()
      .split('\n')
      .slice(-1)[0];
    return `valgrind cannot run ${process.execPath}${said ? ` (${said})` : ''}`;
  }
  return undefined;
}

/** Sends `count` GET requests, 20 at a time on keep-alive connections, as a load generator would. */
async function drive(port, count) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 20 });
  const get = () =>
    new Promise((resolve, reject) =>
      http
        .get({ host: '127.0.0.1', port, path: '/transfer', agent }, (res) => {
          res.resume();
          res.on('end', resolve);
        })
        .on('error', reject),
    );
  let left = count;
  await Promise.all(
    Array.from({ length: 20 }, async () => {
      while (left-- > 0) await get();
    }),
  );
  agent.destroy();
}

/** Instructions per request of `file` (under `env`), counted over `measured` requests after `warm`. */
async function instructionsPerRequest(name, file, env, warm, measured) {
  const out = path.join(dir, `${name}.callgrind`);
  const child = spawn(
    'valgrind',
    [
      '--tool=callgrind',
      '--instr-atstart=no',
      `--callgrind-out-file=${out}`,
      process.execPath,
      '--import',
      preload,
      file,
    ],
    { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let printed = '';
  let said = '';
  child.stderr.on('data', (chunk) => (said = (said + String(chunk)).slice(-2000)));
  try {
    const port = await new Promise((resolve, reject) => {
      child.on('exit', () =>
        reject(new Error(`${name}: the service exited before listening under valgrind: ${said.trim().slice(-500)}`)),
      );
      child.stdout.on('data', (chunk) => {
        printed += String(chunk);
        const m = /port (\d+)/.exec(printed);
        if (m) resolve(Number(m[1]));
      });
    });
    await drive(port, warm);
    const control = (...args) => execFileSync('callgrind_control', [...args, String(child.pid)], { stdio: 'ignore' });
    control('-i', 'on');
    await drive(port, measured);
    control('-i', 'off');
    control('-d');
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await new Promise((resolve) => child.on('close', resolve));
    }
  }
  // The dump on request is written beside the final one, with a numbered suffix.
  const dump = path.join(
    dir,
    readdirSync(dir).find((f) => f.startsWith(`${name}.callgrind.`)),
  );
  const totals = /^totals: (\d+)/m.exec(readFileSync(dump, 'utf8'));
  if (!totals) throw new Error(`${name}: no totals in the callgrind dump`);
  const compiler = optimizingCompilerShare(dump);
  return {
    all: Number(totals[1]) / measured,
    withoutCompiler: compiler === undefined ? undefined : (Number(totals[1]) - compiler) / measured,
    slowLiterals: slowLiteralShare(dump) / measured,
  };
}

/** `[cost, function]` per function of a callgrind dump (self or inclusive), or undefined without callgrind_annotate. */
function costsByFunction(dump, inclusive) {
  let text;
  try {
    text = execFileSync('callgrind_annotate', [`--inclusive=${inclusive ? 'yes' : 'no'}`, '--threshold=100', dump], {
      maxBuffer: 1 << 28,
      stdio: ['ignore', 'pipe', 'ignore'],
    }).toString();
  } catch {
    return undefined;
  }
  const rows = [];
  for (const line of text.split('\n')) {
    const m = /^\s*([\d,]+)\s+\([^)]*\)\s+(.*)$/.exec(line);
    if (m) rows.push([Number(m[1].replaceAll(',', '')), m[2]]);
  }
  return rows;
}

/**
 * Instructions V8's optimizing compiler (TurboFan, `v8::internal::compiler::`) spent in a dump, by the
 * self cost of its functions; undefined where Node's symbols are stripped. Under valgrind the process runs
 * ~50x slower and goes on compiling (47-54k instructions per request of the plain service, more where code
 * runs once per batch), which a process at full speed has done in its first seconds.
 */
function optimizingCompilerShare(dump) {
  const rows = costsByFunction(dump, false)?.filter(([, fn]) => fn.includes('v8::internal::compiler::'));
  return rows?.length ? rows.reduce((sum, [cost]) => sum + cost, 0) : undefined;
}

/**
 * Instructions spent building object literals with computed keys through V8's runtime (inclusive). Some
 * processes fall into a state where Node's `process.nextTick` builds every tick object that way, with a
 * new hidden class each time (+20-50k instructions per request): printed so such a run can be told apart.
 */
function slowLiteralShare(dump) {
  const row = costsByFunction(dump, true)?.find(([, fn]) => fn.includes('Runtime_DefineKeyedOwnPropertyInLiteral'));
  return row ? row[0] : 0;
}

export async function httpInstructions({ quick = false } = {}) {
  const why = whyNotHere();
  if (why) {
    process.stdout.write(`\nHTTP instructions: skipped (${why})\n`);
    return [];
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const plain = compileService(dir, 'plain', { instrument: false });
  const instrumented = compileService(dir, 'instrumented', { instrument: true });
  const middleware = compileService(dir, 'middleware', { instrument: true, tracked: false });
  const discard = await startDiscardingCollector();
  const on = (stage) => ({
    INSTRUMENTED: '1',
    RACEWAY_ENDPOINT: `http://127.0.0.1:${discard.address().port}`,
    RACEWAY_BENCH_STAGE: stage,
  });
  const warm = quick ? 1_500 : 8_000;
  const measured = quick ? 300 : 4_000;
  // [name, label, file, env, full run only]
  const cases = [
    ['plain', 'uninstrumented', plain, { RACEWAY_ENABLED: 'false' }],
    ['context', 'a bare AsyncLocalStorage context', contextOnly(plain), { RACEWAY_ENABLED: 'false' }, true],
    ['middleware', 'middleware only (2 events)', middleware, on('sent')],
    ['recorded', 'events recorded, never encoded', instrumented, on('recorded'), true],
    ['encoded', 'encoded (compact 2), never sent', instrumented, on('encoded'), true],
    ['instrumented', 'instrumented, every event sent', instrumented, on('sent')],
  ].filter((c) => !quick || !c[4]);
  const per = {};
  try {
    for (const [name, , file, env] of cases) per[name] = await instructionsPerRequest(name, file, env, warm, measured);
  } finally {
    discard.close();
  }
  const k = (n) => `${(n / 1000).toFixed(0).padStart(6)}k`;
  const known = cases.every(([name]) => per[name].withoutCompiler !== undefined);
  const columns = (name, field) => {
    const n = per[name][field];
    const d = n - per.plain[field];
    const over = name === 'plain' ? ''.padEnd(8) : `(${d < 0 ? '-' : '+'}${k(Math.abs(d)).trim()})`.padEnd(8);
    return `${k(n)} ${(n / per.plain[field]).toFixed(2)}x ${over}`;
  };
  // Beyond this, a case's count holds the slow state of nextTick (a few hundred instructions otherwise).
  const SLOW_LITERALS = 5_000;
  const rows = cases.map(
    ([name, label]) =>
      `  ${label.padEnd(34)} ${columns(name, 'all')}${known ? `   ${columns(name, 'withoutCompiler')}` : ''}` +
      (per[name].slowLiterals > SLOW_LITERALS
        ? `  of which ${k(per[name].slowLiterals).trim()} building Node's tick objects through V8's runtime (slow state, BENCHMARKS.md)`
        : '') +
      '\n',
  );
  const ratio = (field) => per.plain[field] / per.instrumented[field];
  process.stdout.write(
    `\nHTTP instructions per request (callgrind, ${measured} requests after ${warm}, 20 in flight; events to a discarding collector)\n` +
      `  ${''.padEnd(34)} ${'all threads'.padEnd(22)}${known ? '   without the optimizing compiler' : ''}\n` +
      rows.join('') +
      `  plain / instrumented ${ratio('all').toFixed(2)}x${known ? `, without the optimizing compiler ${ratio('withoutCompiler').toFixed(2)}x` : ''}\n`,
  );
  // A quick run measures before the compiler is done with the service: its ratio says nothing about the target.
  return [
    {
      benchmark: 'HTTP instructions',
      metric: 'plain / instrumented instr/req',
      ratio: ratio('all'),
      target: quick ? 'none (quick run: still warming up)' : '>= 0.90x',
    },
    ...(known
      ? [
          {
            benchmark: 'HTTP instructions',
            metric: 'the same, without the optimizing compiler',
            ratio: ratio('withoutCompiler'),
            target: quick ? 'none (quick run: still warming up)' : '>= 0.90x',
          },
        ]
      : []),
    {
      benchmark: 'HTTP instructions',
      metric: 'plain / middleware-only instr/req',
      ratio: per.plain.all / per.middleware.all,
      target: 'info',
    },
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url))
  await httpInstructions({ quick: process.argv.includes('--quick') });
