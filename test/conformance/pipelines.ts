import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as babel from '@babel/core';
import type * as TS from 'typescript';
import racewayBabelPlugin from '@raceway/babel-plugin';
import racewayTransformer from '@raceway/transformer';

export const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
export const casesDir = path.join(here, 'cases');
export const outDir = path.join(here, '..', '..', 'test-output', 'conformance');
const harness = path.join(here, 'harness.mjs');

export interface Case {
  name: string;
  file: string;
  /** Output module system of the compiled program. */
  format: 'esm' | 'cjs';
}

export function formatOf(file: string): 'esm' | 'cjs' {
  return /\.c[jt]s$/.test(file) || /(^|[-.])cjs[-.]/.test(path.basename(file)) ? 'cjs' : 'esm';
}

const isTs = (file: string) => /\.[cm]?tsx?$/.test(file);

/** tsc: one program per TypeScript version and module format, files emitted one by one. */
export function tscCompile(
  ts: typeof TS,
  cases: Case[],
  format: 'esm' | 'cjs',
  instrument: boolean,
): Map<string, string> {
  const options: TS.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: format === 'esm' ? ts.ModuleKind.ESNext : ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    strict: false,
    allowJs: true,
    checkJs: false,
    jsx: ts.JsxEmit.React,
    esModuleInterop: true,
    skipLibCheck: true,
    noEmitOnError: false,
    types: [],
    rootDir: casesDir,
    outDir: path.join(outDir, 'unused'),
  };
  if (format === 'cjs') options.moduleResolution = ts.ModuleResolutionKind.Node10;
  const files = cases.filter((c) => c.format === format).map((c) => c.file);
  // One program per case (scripts must not share a global scope), with library files parsed once.
  const host = ts.createCompilerHost(options);
  const cache = new Map<string, TS.SourceFile | undefined>();
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, languageVersion, onError, shouldCreate) => {
    if (!name.startsWith(casesDir)) {
      if (!cache.has(name)) cache.set(name, getSourceFile(name, languageVersion, onError, shouldCreate));
      return cache.get(name);
    }
    return getSourceFile(name, languageVersion, onError, shouldCreate);
  };
  const outputs = new Map<string, string>();
  for (const file of files) {
    const program = ts.createProgram([file], options, host);
    const sf = program.getSourceFile(file)!;
    let js = '';
    const transformers = instrument ? { before: [racewayTransformer(program, { root: casesDir }, { ts })] } : undefined;
    program.emit(
      sf,
      (name, text) => {
        if (/\.[cm]?jsx?$/.test(name)) js = text;
      },
      undefined,
      false,
      transformers,
    );
    outputs.set(file, js);
  }
  return outputs;
}

/** Babel: preset-typescript for TS sources, modules-commonjs for CJS output of ESM syntax. */
export function babelCompile(c: Case, instrument: boolean): string {
  const code = readFileSync(c.file, 'utf8');
  const presets: babel.PluginItem[] = [];
  const plugins: babel.PluginItem[] = [];
  if (instrument) plugins.push([racewayBabelPlugin, { root: casesDir }]);
  // Uninstrumented builds run decorators as written: @tracked/@traced then work through the runtime's decorators.
  else if (/^\s*@\w/m.test(code))
    plugins.push([require.resolve('@babel/plugin-proposal-decorators'), { version: '2023-11' }]);
  if (isTs(c.file))
    presets.push([
      require.resolve('@babel/preset-typescript'),
      { allExtensions: true, isTSX: c.file.endsWith('.tsx') },
    ]);
  if (/\.[jt]sx$/.test(c.file)) plugins.push([require.resolve('@babel/plugin-transform-react-jsx')]);
  if (c.format === 'cjs' && !/\.cjs$/.test(c.file))
    plugins.push([require.resolve('@babel/plugin-transform-modules-commonjs')]);
  const result = babel.transformSync(code, {
    filename: c.file,
    babelrc: false,
    configFile: false,
    presets,
    plugins,
    sourceType: /\.cjs$/.test(c.file) ? 'script' : 'module',
  });
  return result?.code ?? '';
}

export interface RunResult {
  stdout: string;
  stderr: string;
  status: number | null;
  events: Array<Record<string, any>>;
}

/** Runs compiled code in a fresh Node process with the recording harness. */
export function run(c: Case, pipeline: string, js: string, env: Record<string, string> = {}): RunResult {
  const dir = path.join(outDir, pipeline);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${c.name}.${c.format === 'esm' ? 'mjs' : 'cjs'}`);
  const eventsFile = `${file}.events.json`;
  writeFileSync(file, js);
  writeFileSync(eventsFile, '[]');
  const result = spawnSync(process.execPath, ['--import', harness, file], {
    encoding: 'utf8',
    env: { ...process.env, RACEWAY_EVENTS_OUT: eventsFile, RACEWAY_LOG: 'silent', ...env },
    timeout: 20_000,
  });
  return {
    stdout: result.stdout,
    stderr: result.stderr,
    status: result.status,
    events: JSON.parse(readFileSync(eventsFile, 'utf8')),
  };
}

/** Events as compact lines: what the conformance expectations are written in. */
export function describeEvents(events: Array<Record<string, any>>): string[] {
  const lines: string[] = [];
  for (const e of events) {
    const k = e.kind;
    if (k.StateChange) lines.push(`${k.StateChange.access_type} ${k.StateChange.variable} @${k.StateChange.location}`);
    else if (k.FunctionCall)
      lines.push(`Call ${k.FunctionCall.function_name} @${k.FunctionCall.file}:${k.FunctionCall.line}`);
  }
  return lines;
}
