import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as TS from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * Every ```ts block of the READMEs type-checks, as a module of its own, with TypeScript 5.9 and 6.0, under
 * standard decorators and under `experimentalDecorators`. Names a snippet uses without defining (an app,
 * a database, a queue) are declared once below.
 */
const require = createRequire(import.meta.url);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = path.join(repo, 'test-output', 'snippets');
const compilers: Array<[string, typeof TS]> = [
  ['typescript 5.9', require('typescript') as typeof TS],
  ['typescript 6.0', require('typescript6') as typeof TS],
];

const PRELUDE = `
declare global {
  const db: { save(): Promise<void> };
  const app: import('express').Express;
  const accounts: Record<string, number>;
  const queue: { push(job: { ctx: unknown; payload: unknown }): void };
  const worker: import('node:events').EventEmitter;
  const payload: unknown;
  const id: string;
  function handle(payload: unknown): unknown;
  function expireSession(id: string): void;
}
export {};
`;

function snippets(file: string): Array<{ name: string; code: string }> {
  const text = readFileSync(path.join(repo, file), 'utf8');
  const out: Array<{ name: string; code: string }> = [];
  const fence = /^```ts\n([\s\S]*?)^```/gm;
  for (let m = fence.exec(text); m; m = fence.exec(text)) {
    const line = text.slice(0, m.index).split('\n').length;
    out.push({ name: `${file}:${line}`, code: m[1]! });
  }
  return out;
}

const all = [...snippets('README.md'), ...snippets('runtime/README.md')];

describe("the READMEs' TypeScript snippets type-check", () => {
  it('finds the snippets', () => expect(all.length).toBeGreaterThanOrEqual(5));

  for (const [version, ts] of compilers) {
    for (const experimentalDecorators of [false, true]) {
      it(`${version}${experimentalDecorators ? ', experimentalDecorators' : ', standard decorators'}`, () => {
        const out = path.join(dir, `${version.replace(/\W+/g, '-')}-${experimentalDecorators}`);
        rmSync(out, { recursive: true, force: true });
        mkdirSync(out, { recursive: true });
        writeFileSync(path.join(out, 'prelude.d.ts'), PRELUDE);
        writeFileSync(path.join(out, 'cache.ts'), 'export const cache = new Map<string, unknown>();\n');
        const files = all.map((s, i) => {
          const file = path.join(out, `snippet-${i}.ts`);
          writeFileSync(
            file,
            s.code.includes('import ') || s.code.includes('export ') ? s.code : `${s.code}\nexport {};\n`,
          );
          return file;
        });
        const options: TS.CompilerOptions = {
          target: ts.ScriptTarget.ES2022,
          module: ts.ModuleKind.NodeNext,
          moduleResolution: ts.ModuleResolutionKind.NodeNext,
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: ['node'],
          experimentalDecorators,
          noUnusedLocals: false,
        };
        const program = ts.createProgram([path.join(out, 'prelude.d.ts'), ...files], options);
        const problems = ts.getPreEmitDiagnostics(program).map((d) => {
          const at = d.file ? (all[files.indexOf(d.file.fileName)]?.name ?? d.file.fileName) : '';
          return `${at} (line ${d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : '?'}): ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
        });
        expect(problems).toEqual([]);
      });
    }
  }
});
