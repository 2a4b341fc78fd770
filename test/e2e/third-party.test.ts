import { execFileSync, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as babel from '@babel/core';
import type * as TS from 'typescript';
import { describe, expect, it } from 'vitest';
import racewayBabelPlugin from '@raceway/babel-plugin';
import racewayTransformer from '@raceway/transformer';
import { annotateEverything } from './annotate-everything.js';

/**
 * A real third-party package, installed from the registry, annotated as a heavy user would (every binding and field
 * `@tracked`, every function `@traced`) in a copy, built with each instrumenter, and run against its own test suite
 * under `raceway run`: every test must end as it does for the plain build, and the events must arrive.
 *
 * throttled-queue ships its TypeScript source and its vitest suite in the package: a promise-and-timer library
 * whose tests check interval timing, retries and queue pauses, the behaviour instrumentation must not move.
 */
const require = createRequire(import.meta.url);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = path.join(repo, 'test-output', 'third-party');
// The package's exports hide its folder: resolve the CommonJS entry (dist/cjs/…) and go up to the package root.
const pkg = path.resolve(path.dirname(require.resolve('throttled-queue')), '..', '..');
const librarySource = readFileSync(path.join(pkg, 'src', 'throttledQueue.ts'), 'utf8');
const suiteSource = readFileSync(path.join(pkg, 'src', 'throttledQueue.test.ts'), 'utf8');
const ts59 = require('typescript') as typeof TS;
const ts60 = require('typescript6') as typeof TS;

/**
 * The Node the package's suite runs under: `RACEWAY_TEST_APP_NODE` (CI runs it under Node 22 and 24, whose
 * AsyncLocalStorage is built differently) while `raceway run` and its store stay on this one; by default this one.
 */
function appNodeOf(): { path: string; version: string } {
  const given = process.env.RACEWAY_TEST_APP_NODE || process.execPath;
  try {
    return { path: given, version: execFileSync(given, ['-p', 'process.version'], { encoding: 'utf8' }).trim() };
  } catch (error) {
    throw new Error(`RACEWAY_TEST_APP_NODE=${given}: cannot run it as Node (${(error as Error).message})`, {
      cause: error,
    });
  }
}
const appNode = appNodeOf();

type Build = 'plain' | 'babel' | 'tsc-5.9' | 'tsc-6.0';

function tscBuild(ts: typeof TS, dir: string, source: string, instrument: boolean): string {
  const file = path.join(dir, 'src', 'throttledQueue.ts');
  const options: TS.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    strict: true,
    skipLibCheck: true,
    types: [],
    outDir: dir,
  };
  const host = ts.createCompilerHost(options);
  const read = host.readFile.bind(host);
  host.readFile = (name) => (name === file ? source : read(name));
  const program = ts.createProgram([file], options, host);
  let js = '';
  const transformers = instrument ? { before: [racewayTransformer(program, { root: dir }, { ts })] } : undefined;
  program.emit(
    program.getSourceFile(file),
    (name, text) => {
      if (name.endsWith('.js')) js = text;
    },
    undefined,
    false,
    transformers,
  );
  return js;
}

function babelBuild(dir: string, source: string, instrument: boolean): string {
  const plugins: babel.PluginItem[] = instrument ? [[racewayBabelPlugin, { root: dir }]] : [];
  const presets: babel.PluginItem[] = [[require.resolve('@babel/preset-typescript'), {}]];
  return (
    babel.transformSync(source, {
      filename: path.join(dir, 'src', 'throttledQueue.ts'),
      babelrc: false,
      configFile: false,
      presets,
      plugins,
    })?.code ?? ''
  );
}

interface SuiteRun {
  results: Map<string, string>;
  report: { stats: { events: number; traces: number }; races: unknown[] };
  log: string;
}

/** Writes the built library beside its suite (the suite compiled plainly) and runs it with vitest under `raceway run`. */
async function runSuite(build: Build, annotated: string): Promise<SuiteRun> {
  const dir = path.join(out, build);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, 'src'), { recursive: true });
  const source = build === 'plain' ? librarySource : annotated;
  const instrument = build !== 'plain';
  const library =
    build === 'babel' || build === 'plain'
      ? babelBuild(dir, source, instrument)
      : tscBuild(build === 'tsc-5.9' ? ts59 : ts60, dir, source, instrument);
  expect(library.length).toBeGreaterThan(1000);
  writeFileSync(path.join(dir, 'package.json'), '{ "type": "module", "private": true }\n');
  writeFileSync(
    path.join(dir, 'vitest.config.mjs'),
    // The package's tests compare Date.now() against timers, which Node schedules from the event loop's cached
    // clock: on a loaded machine any build can see a timer fire a millisecond "early", more often the busier
    // the tick that scheduled it. Every build (plain too) retries a failed test twice; a behaviour change fails
    // every time.
    'export default { test: { include: ["src/*.test.js"], testTimeout: 200000, retry: 2 } };\n',
  );
  writeFileSync(path.join(dir, 'src', 'throttledQueue.js'), library);
  writeFileSync(
    path.join(dir, 'src', 'throttledQueue.test.js'),
    ts59.transpileModule(suiteSource, {
      compilerOptions: { target: ts59.ScriptTarget.ES2022, module: ts59.ModuleKind.ESNext },
    }).outputText,
  );
  const results = path.join(dir, 'results.json');
  const reportFile = path.join(dir, 'report.json');
  const vitest = path.join(repo, 'node_modules', 'vitest', 'vitest.mjs');
  const args = [
    path.join(repo, 'server', 'bin', 'raceway.mjs'),
    'run',
    '--json',
    reportFile,
    '--root',
    dir,
    '--',
    appNode.path,
    vitest,
    'run',
    '--root',
    dir,
    '--config',
    path.join(dir, 'vitest.config.mjs'),
    '--reporter=json',
    `--outputFile=${results}`,
  ];
  const log = await new Promise<string>((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd: dir,
      env: { ...process.env, RACEWAY_LOG: 'silent', RACEWAY_SERVICE: `throttled-queue-${build}` },
    });
    let text = '';
    child.stdout.on('data', (d) => (text += d));
    child.stderr.on('data', (d) => (text += d));
    child.on('exit', () => resolve(text));
  });
  const json = JSON.parse(readFileSync(results, 'utf8')) as {
    testResults: Array<{ assertionResults: Array<{ fullName: string; status: string; failureMessages: string[] }> }>;
  };
  const statuses = new Map<string, string>();
  for (const file of json.testResults)
    for (const t of file.assertionResults)
      statuses.set(
        t.fullName,
        t.status === 'passed' ? 'passed' : `${t.status}: ${t.failureMessages.join(' ').slice(0, 300)}`,
      );
  return { results: statuses, report: JSON.parse(readFileSync(reportFile, 'utf8')), log };
}

describe('a third-party package annotated everywhere runs its own test suite unchanged', () => {
  it(`throttled-queue under Node ${appNode.version}: Babel, tsc 5.9 and tsc 6.0 builds end every test as the plain build does, and record`, async () => {
    const annotated = annotateEverything(ts59, 'throttledQueue.ts', librarySource);
    // Every binding, field and function of the library: the hints a heavy user would write.
    expect(annotated.tracked).toBeGreaterThanOrEqual(8);
    expect(annotated.traced).toBeGreaterThanOrEqual(9);
    // The suite is mostly waiting on timers (intervals up to seconds): the four builds run side by side.
    const [plain, ...instrumented] = await Promise.all(
      (['plain', 'babel', 'tsc-5.9', 'tsc-6.0'] as const).map((b) => runSuite(b, annotated.text)),
    );
    expect(plain!.results.size, plain!.log).toBeGreaterThanOrEqual(15);
    expect(
      [...plain!.results.values()].every((s) => s === 'passed'),
      plain!.log,
    ).toBe(true);
    expect(plain!.report.stats.events).toBe(0);
    for (const run of instrumented) {
      expect(Object.fromEntries(run.results), run.log).toEqual(Object.fromEntries(plain!.results));
      // Recorded: accesses to the queue's state and the traced calls of every test.
      expect(run.report.stats.events).toBeGreaterThan(1000);
    }
  }, 400_000);
});
