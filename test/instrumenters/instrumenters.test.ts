import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as babel from '@babel/core';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import racewayBabelPlugin from '@raceway/babel-plugin';
import racewayTransformer from '@raceway/transformer';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const harness = path.join(repo, 'test', 'conformance', 'harness.mjs');
mkdirSync(path.join(repo, 'test-output', 'maps'), { recursive: true });

function babelOut(
  code: string,
  filename: string,
  options: Record<string, unknown> | false = {},
  extra: babel.TransformOptions = {},
): string {
  const plugins: babel.PluginItem[] =
    options === false ? [] : [[racewayBabelPlugin, { root: path.dirname(filename), ...options }]];
  return babel.transformSync(code, {
    filename,
    babelrc: false,
    configFile: false,
    presets: [[require.resolve('@babel/preset-typescript'), { allExtensions: true }]],
    plugins,
    ...extra,
  })!.code!;
}

function tscOut(
  code: string,
  fileName: string,
  config: Record<string, unknown> | false = {},
  compilerOptions: ts.CompilerOptions = {},
): { js: string; map?: string; diagnostics: ts.Diagnostic[] } {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    types: [],
    allowJs: true,
    ...compilerOptions,
  };
  const host = ts.createCompilerHost(options);
  const read = host.readFile.bind(host);
  host.readFile = (f) => (path.resolve(f) === path.resolve(fileName) ? code : read(f));
  const exists = host.fileExists.bind(host);
  host.fileExists = (f) => path.resolve(f) === path.resolve(fileName) || exists(f);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (f, v) =>
    path.resolve(f) === path.resolve(fileName) ? ts.createSourceFile(f, code, v, true) : getSourceFile(f, v);
  const program = ts.createProgram([fileName], options, host);
  const diagnostics: ts.Diagnostic[] = [];
  let js = '';
  let map: string | undefined;
  const before =
    config === false
      ? []
      : [
          racewayTransformer(
            program,
            { root: path.dirname(fileName), ...config },
            { ts, addDiagnostic: (d) => diagnostics.push(d) },
          ),
        ];
  program.emit(
    program.getSourceFile(fileName),
    (name, text) => {
      if (name.endsWith('.map')) map = text;
      else if (/\.[cm]?js$/.test(name)) js = text;
    },
    undefined,
    false,
    { before },
  );
  return { js, map, diagnostics };
}

/** Babel's output and what the plugin printed on stderr (its diagnostics). */
function babelWithWarnings(code: string, file: string): { js: string; warnings: string[] } {
  const warnings: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => (warnings.push(String(chunk)), true)) as typeof process.stderr.write;
  try {
    return { js: babelOut(code, file), warnings };
  } finally {
    process.stderr.write = write;
  }
}

function runWithEvents(js: string, args: string[] = []): { stdout: string; events: Array<Record<string, any>> } {
  const dir = mkdtempSync(path.join(repo, 'test-output', 'run-'));
  const file = path.join(dir, 'program.mjs');
  writeFileSync(file, js);
  const eventsFile = path.join(dir, 'events.json');
  const result = spawnSync(process.execPath, [...args, '--import', harness, file], {
    encoding: 'utf8',
    env: { ...process.env, RACEWAY_EVENTS_OUT: eventsFile },
  });
  if (result.status !== 0) throw new Error(result.stderr);
  return { stdout: result.stdout, events: JSON.parse(readFileSync(eventsFile, 'utf8')) };
}

const annotated = `/** @tracked */
let total = 0;
export async function add(n: number) {
  const t = total;
  await null;
  total = t + n;
}
`;

describe('both instrumenters', () => {
  it('leave files without annotations byte-identical to an uninstrumented build', () => {
    const plain = `export const x = { a: 1 };\nexport async function f() { await null; x.a++; return x; }\n`;
    const file = path.join(repo, 'test-output', 'plain.ts');
    expect(babelOut(plain, file)).toBe(babelOut(plain, file, false));
    expect(tscOut(plain, file).js).toBe(tscOut(plain, file, false).js);
  });

  it('do nothing the second time over their own output', () => {
    const file = path.join(repo, 'test-output', 'twice.ts');
    const once = babelOut(annotated, file);
    expect(once).toContain('@raceway-instrumented');
    expect(babelOut(once, file)).toBe(babelOut(once, file, false));
    const tsOnce = tscOut(annotated, file).js;
    const jsFile = path.join(repo, 'test-output', 'twice.js');
    expect(tscOut(tsOnce, jsFile).js).toBe(tscOut(tsOnce, jsFile, false).js);
  });

  it('reject unknown or invalid options with a clear error', () => {
    const file = path.join(repo, 'test-output', 'opts.ts');
    expect(() => babelOut(annotated, file, { trackargs: 'none' })).toThrow(/unknown option "trackargs"/);
    expect(() => babelOut(annotated, file, { trackArgs: 'some' })).toThrow(
      /"trackArgs" must be 'summary', 'none' or 'full'/,
    );
    expect(() => tscOut(annotated, file, { include: 'src' })).toThrow(/"include" must be an array/);
  });

  it('honour include and exclude globs', () => {
    const file = path.join(repo, 'test-output', 'src', 'skip.ts');
    expect(babelOut(annotated, file, { root: path.join(repo, 'test-output'), exclude: ['src/**'] })).not.toContain(
      '@raceway-instrumented',
    );
    expect(tscOut(annotated, file, { root: path.join(repo, 'test-output'), include: ['lib/**'] }).js).not.toContain(
      '@raceway-instrumented',
    );
    expect(tscOut(annotated, file, { root: path.join(repo, 'test-output'), include: ['src/**'] }).js).toContain(
      '@raceway-instrumented',
    );
  });

  it('record traced-call arguments as a summary, in full, or not at all', () => {
    const code = `/** @traced */\nfunction pay(user: { name: string }, amount: number) { return amount; }\npay({ name: 'ada' }, 5);\n`;
    const file = path.join(repo, 'test-output', 'args.ts');
    const argsOf = (mode: string) =>
      runWithEvents(babelOut(code, file, { trackArgs: mode })).events.find((e) => e.kind.FunctionCall)!.kind
        .FunctionCall.args;
    expect(argsOf('summary')).toEqual(['[Object]', 5]);
    expect(argsOf('full')).toEqual([{ name: 'ada' }, 5]);
    expect(argsOf('none')).toEqual([]);
    const tsArgs = runWithEvents(tscOut(code, file, { trackArgs: 'summary' }).js).events.find(
      (e) => e.kind.FunctionCall,
    )!.kind.FunctionCall.args;
    expect(tsArgs).toEqual(['[Object]', 5]);
  });

  it('report misuse as a diagnostic with a stable code and leave the node alone', () => {
    const code = `import { tracked } from '@raceway/runtime';\nclass A {\n  @tracked\n  method() { return 1; }\n}\nconsole.log(new A().method());\n`;
    const file = path.join(repo, 'test-output', 'misuse.ts');
    const { diagnostics, js } = tscOut(code, file);
    expect(diagnostics.map((d) => d.code)).toEqual([1004]);
    expect(String(diagnostics[0]!.messageText)).toMatch(/RW1004/);
    expect(runWithEvents(js).stdout).toBe('1\n');
  });

  it('read a hint in every comment form, and say so at build time for a tag that is almost one', () => {
    const file = path.join(repo, 'test-output', 'hint-forms.ts');
    const code = [
      '/* @tracked */ let a = 0;',
      '// @tracked',
      'let b = 0;',
      '/** @tracked */ let c = 0;',
      '/** @trackd */ let d = 0;',
      '/* @Tracked */ let e = 0;',
      'a++; b++; c++; d++; e++;',
      'console.log(a, b, c, d, e);',
    ].join('\n');
    const written = (events: Array<Record<string, any>>) =>
      [
        ...new Set(
          events.filter((e) => e.kind.StateChange?.access_type === 'Write').map((e) => e.kind.StateChange.variable),
        ),
      ].sort();
    const viaTsc = tscOut(code, file);
    expect(written(runWithEvents(viaTsc.js).events)).toEqual(['a', 'b', 'c']);
    expect(viaTsc.diagnostics.map((d) => `${d.code} ${String(d.messageText)}`)).toEqual([
      expect.stringMatching(/^1005 raceway RW1005: .*@trackd: did you mean @tracked\?/),
      expect.stringMatching(/^1005 raceway RW1005: .*@Tracked: did you mean @tracked\?/),
    ]);
    const { js, warnings } = babelWithWarnings(code, file);
    expect(written(runWithEvents(js).events)).toEqual(['a', 'b', 'c']);
    expect(warnings.filter((w) => w.includes('RW1005'))).toEqual([
      expect.stringMatching(/hint-forms\.ts:5:5 .*@trackd: did you mean @tracked\?/),
      expect.stringMatching(/hint-forms\.ts:6:4 .*@Tracked: did you mean @tracked\?/),
    ]);
    // A file with only a near miss is still looked at.
    expect(
      tscOut(
        '/** @traced-fn */ async function f() {}\nvoid f();\n',
        path.join(repo, 'test-output', 'hint-only-miss.ts'),
      ).diagnostics.map((d) => d.code),
    ).toEqual([1005]);
  });

  it('say at build time that a tracked binding or member used as a for-in/of target is not recorded (RW1003)', () => {
    const file = path.join(repo, 'test-output', 'for-target.ts');
    const code = `/** @tracked */\nlet current = '';\n/** @tracked */\nconst state = { last: 0 };\nfor (current of ['a']) console.log(current);\nfor (state.last of [1]) console.log(state.last);\nlet free = '';\nfor (free of ['z']) console.log(free);\n`;
    const viaTsc = tscOut(code, file);
    expect(viaTsc.diagnostics.map((d) => d.code)).toEqual([1003, 1003]);
    expect(runWithEvents(viaTsc.js).stdout).toBe('a\n1\nz\n');
    const { warnings } = babelWithWarnings(code, file);
    expect(warnings.filter((w) => w.includes('RW1003')).map((w) => w.split(' ')[0])).toEqual([
      expect.stringMatching(/for-target\.ts:5:6$/),
      expect.stringMatching(/for-target\.ts:6:6$/),
    ]);
  });

  it('never ignore an annotation silently: @tracked on a function, a method or a parameter is a diagnostic in both hosts', () => {
    const file = path.join(repo, 'test-output', 'ignored-hints.ts');
    const code = [
      '/** @tracked */',
      'function helper() { return 1; }',
      'class Account {',
      '  constructor(/** @tracked */ private _value: number) {}',
      '  /** @tracked */',
      '  total() { return this._value + helper(); }',
      '}',
      'console.log(new Account(2).total());',
    ].join('\n');
    const viaTsc = tscOut(code, file);
    expect(
      viaTsc.diagnostics.map((d) => `${d.code}@${d.file!.getLineAndCharacterOfPosition(d.start!).line + 1}`).sort(),
    ).toEqual(['1001@2', '1001@4', '1004@6']);
    expect(runWithEvents(viaTsc.js).stdout).toBe('3\n');
    const { js, warnings } = babelWithWarnings(code, file);
    expect(
      warnings
        .map((w) => /:(\d+):\d+ raceway (RW\d+)/.exec(w))
        .filter(Boolean)
        .map((m) => `${m![2]}@${m![1]}`)
        .sort(),
    ).toEqual(['RW1001@2', 'RW1001@4', 'RW1004@6']);
    expect(runWithEvents(js).stdout).toBe('3\n');
  });

  it('capture nothing and leave fields plain when tracking is off (RACEWAY_ENABLED=false)', () => {
    const code = [
      'let traps = 0;',
      "/** @traced */ async function a(p: unknown) { return 'a'; }",
      'class Box { /** @tracked */ v = 1; }',
      '/** @tracked */ const cfg = { inner: new Proxy({ n: 1 }, { get(t, k) { traps++; return Reflect.get(t, k); }, ownKeys(t) { traps++; return Reflect.ownKeys(t); } }) };',
      'cfg.inner = cfg.inner;',
      'await a(cfg.inner);',
      "console.log(JSON.stringify(Object.getOwnPropertyDescriptor(new Box(), 'v')), traps);",
    ].join('\n');
    const file = path.join(repo, 'test-output', 'disabled', 'off.ts');
    mkdirSync(path.dirname(file), { recursive: true });
    const runOff = (js: string) => {
      const out = path.join(path.dirname(file), `${Math.random().toString(36).slice(2)}.mjs`);
      writeFileSync(out, js);
      const result = spawnSync(process.execPath, [out], {
        encoding: 'utf8',
        env: { ...process.env, RACEWAY_ENABLED: 'false', RACEWAY_LOG: 'silent' },
      });
      expect(result.status, result.stderr).toBe(0);
      return result.stdout;
    };
    const plain = runOff(tscOut(code, file, false).js);
    expect(plain).toBe('{"value":1,"writable":true,"enumerable":true,"configurable":true} 0\n');
    expect(runOff(tscOut(code, file).js)).toBe(plain);
    expect(runOff(babelOut(code, file))).toBe(plain);
  });

  it('keep source maps so stack traces point at the original lines', () => {
    const code = `/** @tracked */\nlet n = 0;\nexport function f() {\n  n++;\n  throw new Error('here');\n}\ntry { f(); } catch (e) { console.log((e as Error).stack!.split('\\n')[1]); }\n`;
    const file = path.join(repo, 'test-output', 'maps', 'mapped.ts');
    const viaBabel = babel.transformSync(code, {
      filename: file,
      babelrc: false,
      configFile: false,
      sourceMaps: 'inline',
      presets: [[require.resolve('@babel/preset-typescript'), { allExtensions: true }]],
      plugins: [[racewayBabelPlugin, { root: path.dirname(file) }]],
    })!.code!;
    expect(runWithEvents(viaBabel, ['--enable-source-maps']).stdout).toMatch(/mapped\.ts:5:\d+/);
    const viaTsc = tscOut(code, file, {}, { inlineSourceMap: true, inlineSources: true }).js;
    expect(runWithEvents(viaTsc, ['--enable-source-maps']).stdout).toMatch(/mapped\.ts:5:\d+/);
  });
});

describe('runtime decorators in an untransformed build', () => {
  it('still track @tracked fields and @traced methods', () => {
    const code = `import { tracked, traced } from '@raceway/runtime';\nclass Account {\n  @tracked balance = 10;\n  @traced async pay(n: number) { this.balance -= n; return this.balance; }\n}\nconsole.log(await new Account().pay(3));\n`;
    const file = path.join(repo, 'test-output', 'decorators.ts');
    const { stdout, events } = runWithEvents(tscOut(code, file, false).js);
    expect(stdout).toBe('7\n');
    const lines = events
      .map((e) =>
        e.kind.StateChange
          ? `${e.kind.StateChange.access_type} ${e.kind.StateChange.variable}`
          : e.kind.FunctionCall
            ? `Call ${e.kind.FunctionCall.function_name}`
            : undefined,
      )
      .filter(Boolean);
    expect(lines).toEqual([
      'Write Account#1.balance',
      'Call Account.pay',
      'Read Account#1.balance',
      'Write Account#1.balance',
      'Read Account#1.balance',
    ]);
  });
});

describe('ts-patch live compiler (tspc)', () => {
  it('builds a project with the transformer from tsconfig plugins, and the program records its accesses', () => {
    const project = path.join(here, 'fixtures', 'tspc-project');
    const build = spawnSync(
      process.execPath,
      [require.resolve('ts-patch/bin/tspc.js'), '-p', path.join(project, 'tsconfig.json')],
      { encoding: 'utf8', cwd: repo },
    );
    expect(build.status, build.stdout + build.stderr).toBe(0);
    const out = path.join(repo, 'test-output', 'tspc-project');
    writeFileSync(path.join(out, 'package.json'), '{ "type": "module" }\n');
    const eventsFile = path.join(out, 'events.json');
    const result = spawnSync(
      process.execPath,
      ['--enable-source-maps', '--import', harness, path.join(out, 'main.js')],
      { encoding: 'utf8', env: { ...process.env, RACEWAY_EVENTS_OUT: eventsFile } },
    );
    expect(result.status, result.stderr).toBe(0);
    const [balance, frame] = result.stdout.trim().split('\n');
    expect(balance).toBe('80'); // the lost update happens, as in the original program
    expect(frame).toMatch(/src\/bank\.ts:12:9/);
    const events = JSON.parse(readFileSync(eventsFile, 'utf8')) as Array<Record<string, any>>;
    const accesses = events
      .filter((e) => e.kind.StateChange)
      .map((e) => `${e.kind.StateChange.access_type} ${e.kind.StateChange.variable} ${e.kind.StateChange.location}`);
    expect(accesses).toEqual([
      'Write accounts src/bank.ts:2:14',
      'Read accounts.alice.balance src/bank.ts:6:19',
      'Read accounts.alice.balance src/bank.ts:6:19',
      'Write accounts.alice.balance src/bank.ts:8:3',
      'Write accounts.alice.balance src/bank.ts:8:3',
      'Read accounts.alice.balance src/main.ts:6:13',
    ]);
    expect(events.filter((e) => e.kind.FunctionCall).map((e) => e.kind.FunctionCall.args)).toEqual([[], []]);
  });
});

describe('variable-name notation', () => {
  it('is the same at build time and at run time', async () => {
    const core = await import('@raceway/instrument-core');
    const runtime = await import('../../runtime/src/instrument/paths.js');
    const keys = ['alice', 'bob-2', '0', '12', '$ok', '_x', 'a b', '#private', 'é', ''];
    for (const k of keys) expect(runtime.formatKey(k)).toBe(core.formatKey(k));
    expect(runtime.formatPath('accounts', ['alice', 'balance'])).toBe(
      core.staticPath('accounts', ['alice', 'balance']),
    );
    expect(
      runtime.formatPath('sessions', [
        {
          toString: () => {
            throw new Error('never called');
          },
        },
      ]),
    ).toBe('sessions[[object]]');
  });
});
