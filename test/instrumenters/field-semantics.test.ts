import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as babel from '@babel/core';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import racewayBabelPlugin from '@raceway/babel-plugin';
import racewayTransformer from '@raceway/transformer';

/**
 * Tracked class fields keep the program's own class-field semantics: define (native fields, TypeScript's
 * ES2022 default) or assignment (`useDefineForClassFields: false`, an older target), and fields without
 * initialiser that Babel 7's TypeScript preset removes. For each build, the instrumented program prints
 * exactly what the plain one prints, and the fields are tracked once the program creates them.
 */
const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const fixture = path.join(here, 'fixtures', 'field-semantics.ts');
const out = path.join(repo, 'test-output', 'field-semantics');
const harness = path.join(repo, 'test', 'conformance', 'harness.mjs');
mkdirSync(out, { recursive: true });

function tsc(options: ts.CompilerOptions, instrument: boolean): string {
  const program = ts.createProgram([fixture], {
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    strict: true,
    types: [],
    skipLibCheck: true,
    noEmitOnError: false,
    ...options,
  });
  let js = '';
  program.emit(
    program.getSourceFile(fixture),
    (name, text) => {
      if (name.endsWith('.js')) js = text;
    },
    undefined,
    false,
    instrument ? { before: [racewayTransformer(program, { root: repo }, { ts })] } : undefined,
  );
  return js;
}

function withBabel(presetOptions: Record<string, unknown>, instrument: boolean): string {
  return babel.transformSync(readFileSync(fixture, 'utf8'), {
    filename: fixture,
    babelrc: false,
    configFile: false,
    presets: [[require.resolve('@babel/preset-typescript'), presetOptions]],
    plugins: instrument ? [[racewayBabelPlugin, { root: repo }]] : [],
  })!.code!;
}

function run(name: string, js: string): { stdout: string; events: Array<Record<string, any>> } {
  const file = path.join(out, `${name}.mjs`);
  const events = `${file}.events.json`;
  writeFileSync(file, js);
  writeFileSync(events, '[]');
  const result = spawnSync(process.execPath, ['--import', harness, file], {
    encoding: 'utf8',
    env: { ...process.env, RACEWAY_EVENTS_OUT: events, RACEWAY_LOG: 'silent' },
  });
  expect(result.status, result.stderr).toBe(0);
  return { stdout: result.stdout, events: JSON.parse(readFileSync(events, 'utf8')) };
}

const builds: Array<[string, (instrument: boolean) => string]> = [
  ['tsc, define semantics (ES2022)', (i) => tsc({ target: ts.ScriptTarget.ES2022 }, i)],
  [
    'tsc, useDefineForClassFields: false',
    (i) => tsc({ target: ts.ScriptTarget.ES2022, useDefineForClassFields: false }, i),
  ],
  ['tsc, target ES2020', (i) => tsc({ target: ts.ScriptTarget.ES2020 }, i)],
  ['Babel 7 preset-typescript', (i) => withBabel({}, i)],
  ['Babel 7 preset-typescript, allowDeclareFields', (i) => withBabel({ allowDeclareFields: true }, i)],
];

describe('tracked fields keep the class-field semantics of the build', () => {
  it.each(builds)('%s', (name, build) => {
    const slug = name.replace(/\W+/g, '-');
    const plain = run(`${slug}-plain`, build(false));
    const instrumented = run(`${slug}-instrumented`, build(true));
    expect(instrumented.stdout).toBe(plain.stdout);
    const writes = (variable: string) =>
      instrumented.events
        .filter((e) => e.kind.StateChange?.variable === variable && e.kind.StateChange.access_type === 'Write')
        .map((e) => e.kind.StateChange.new_value);
    expect(writes('Order#1.status')).toContain('paid');
    expect(writes('Order#1.total')).toEqual([0]);
    expect(writes('Derived#1.count')).toEqual(expect.arrayContaining([1, 2]));
    expect(writes('Registry.size')).toEqual(expect.arrayContaining([1, 2]));
  });
});
