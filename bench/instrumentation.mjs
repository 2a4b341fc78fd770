// Build time with the transformer vs plain tsc on a generated medium program, and a hot loop of
// tracked accesses vs the same loop uninstrumented. Both printed as ratios of side-by-side runs.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import racewayTransformer from '@raceway/transformer';
import { RacewayClient, replaceDefaultClient } from '@raceway/runtime';
import { compare, printTable } from './lib/harness.mjs';

const out = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'test-output', 'bench-instrumentation');

function generateProgram(files) {
  const dir = path.join(out, 'src');
  mkdirSync(dir, { recursive: true });
  const names = [];
  for (let i = 0; i < files; i++) {
    const file = path.join(dir, `module${i}.ts`);
    const lines = [
      `/** @tracked */`,
      `export const state${i}: Record<string, { count: number; items: string[] }> = {};`,
    ];
    for (let f = 0; f < 20; f++) {
      lines.push(
        `/** @traced */`,
        `export async function op${f}(key: string, value: number): Promise<number> {`,
        `  const entry = state${i}[key] ?? (state${i}[key] = { count: 0, items: [] });`,
        `  const before = entry.count;`,
        `  await Promise.resolve();`,
        `  entry.count = before + value;`,
        `  entry.items.push(String(value));`,
        `  return entry.items.length * ${f};`,
        `}`,
      );
      lines.push(`export function helper${f}(a: number, b: number): number { return a * b + ${f}; }`);
    }
    writeFileSync(file, lines.join('\n'));
    names.push(file);
  }
  return names;
}

function build(files, instrument) {
  const options = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    strict: true,
    skipLibCheck: true,
    types: [],
    noEmit: false,
    outDir: path.join(out, 'dist'),
  };
  const program = ts.createProgram(files, options);
  const before = instrument ? [racewayTransformer(program, { root: out }, { ts })] : [];
  program.emit(undefined, () => undefined, undefined, false, { before });
}

async function loadLoop(instrument) {
  const source = `/** @tracked */\nconst counters: Record<string, number> = { hits: 0 };\n/** @tracked */\nlet total = 0;\nexport function loop(n: number): number {\n  for (let i = 0; i < n; i++) {\n    counters.hits += 1;\n    total = total + counters.hits;\n  }\n  return total;\n}\n`;
  const file = path.join(out, `loop-${instrument ? 'on' : 'off'}.ts`);
  mkdirSync(out, { recursive: true });
  writeFileSync(file, source);
  const program = ts.createProgram([file], { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, types: [] });
  let js = '';
  program.emit(
    program.getSourceFile(file),
    (name, text) => {
      if (name.endsWith('.js')) js = text;
    },
    undefined,
    false,
    { before: instrument ? [racewayTransformer(program, { root: out }, { ts })] : [] },
  );
  const target = file.replace(/\.ts$/, '.mjs');
  writeFileSync(target, js);
  return (await import(pathToFileURL(target).href)).loop;
}

export async function instrumentation({ quick = false } = {}) {
  const files = generateProgram(quick ? 5 : 40);
  const buildRows = await compare(
    [
      { name: 'tsc emit, plain', run: () => build(files, false) },
      { name: 'tsc emit, with @raceway/transformer', run: () => build(files, true) },
    ],
    { iterations: 1, rounds: quick ? 1 : 5, warmupRounds: 1 },
  );
  printTable(
    `Build time, ${files.length} files x 20 traced functions (ns per build)`,
    buildRows,
    'no target: for information',
  );

  const client = RacewayClient.inMemory({ serviceName: 'bench' });
  replaceDefaultClient(client);
  const plainLoop = await loadLoop(false);
  const trackedLoop = await loadLoop(true);
  const n = quick ? 2_000 : 20_000; // 3 tracked accesses and 1 write per iteration
  const loopRows = await compare(
    [
      {
        name: 'hot loop, uninstrumented',
        run: (iters) => {
          for (let k = 0; k < iters; k++) plainLoop(n);
        },
      },
      {
        name: 'hot loop, instrumented',
        setup: () => client.clearMemoryEvents(),
        run: (iters) => {
          for (let k = 0; k < iters; k++) trackedLoop(n);
        },
      },
    ],
    { iterations: 1, rounds: quick ? 3 : 15 },
  );
  printTable(
    `Hot loop of tracked accesses (${n} iterations, 4 tracked accesses each)`,
    loopRows,
    'for information: the cost per access is in the per-tracked-access row',
  );
  return [
    { benchmark: 'build time', metric: 'transformer / plain tsc', ratio: buildRows[1].ratio, target: 'info' },
    { benchmark: 'hot loop', metric: 'instrumented / plain', ratio: loopRows[1].ratio, target: 'info' },
  ];
}
