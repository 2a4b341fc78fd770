import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import racewayTransformer from '@raceway/transformer';
import { accessesFrom, analyze, startServer } from '@raceway/server';
import type { StoredEvent } from '@raceway/server';
import { withBabel as withBabelAt } from './helpers/build-fixture.js';

/** SDK behaviour that only shows in a built app: compiled with each instrumenter, run as its own process. */
const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const out = path.join(repo, 'test-output', 'sdk-fidelity');
mkdirSync(out, { recursive: true });

const withBabel = (file: string) => withBabelAt(file, repo);

function withTsc(file: string): string {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    types: [],
    skipLibCheck: true,
    noEmitOnError: false,
  };
  const program = ts.createProgram([file], options);
  let js = '';
  program.emit(
    program.getSourceFile(file),
    (name, text) => {
      if (name.endsWith('.js')) js = text;
    },
    undefined,
    false,
    { before: [racewayTransformer(program, { root: repo }, { ts })] },
  );
  return js;
}

/** Runs `js` as an ESM program against a fresh in-process server; its stdout and the server's store. */
async function runAgainstServer(name: string, js: string) {
  const file = path.join(out, `${name}.mjs`);
  writeFileSync(file, js);
  const server = await startServer({ host: '127.0.0.1', port: 0, db: ':memory:', apiKeys: [], logLevel: 'silent' });
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, [file], {
      env: { ...process.env, RACEWAY_ENDPOINT: server.url, RACEWAY_SERVICE_NAME: '', RACEWAY_LOG: 'silent' },
    });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d));
    child.stderr.on('data', (d: Buffer) => (text += d));
    child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`exit ${code}: ${text}`))));
  });
  return { stdout, server };
}

for (const [pipeline, build] of [
  ['babel', withBabel],
  ['tsc', withTsc],
] as const) {
  describe(`one process, one service name (${pipeline})`, () => {
    it('names every event with the client the app built, also those recorded before it existed', async () => {
      const { stdout, server } = await runAgainstServer(
        `late-client-${pipeline}`,
        build(path.join(here, 'fixtures', 'late-client.ts')),
      );
      try {
        expect(stdout.trim()).toBe('counter 3');
        const services = await server.store.services();
        expect(services.map((s) => s.name)).toEqual(['mug-shop']);
        const events: StoredEvent[] = [];
        for await (const e of server.store.allEvents()) events.push(e);
        const writes = events.filter((e) => {
          const change = (e.kind as { StateChange?: { variable: string; access_type: string } }).StateChange;
          return change?.variable === 'counter' && change.access_type === 'Write';
        });
        expect(writes.length).toBe(4); // the initialiser and three requests
      } finally {
        await server.close();
      }
    });
  });
}

for (const [pipeline, build] of [
  ['babel', withBabel],
  ['tsc', withTsc],
] as const) {
  describe(`awaiting a trace joins it (${pipeline})`, () => {
    it('orders what follows `await startTrace(...)` and `await runWithContext(...)` after everything they did', async () => {
      const { stdout, server } = await runAgainstServer(
        `await-trace-${pipeline}`,
        build(path.join(here, 'fixtures', 'await-trace.ts')),
      );
      try {
        expect(stdout.trim().split('\n')).toEqual(['after the trace: 2', 'after the run: 3', 'done: 3']);
        const report = (await server.analysis.current()).races;
        expect(report.map((r) => `${r.severity} ${r.kind} ${r.variable}`)).toEqual([]);
        expect((await server.store.counts()).events).toBeGreaterThan(10);
      } finally {
        await server.close();
      }
    });
  });
}

for (const [pipeline, build] of [
  ['babel', withBabel],
  ['tsc', withTsc],
] as const) {
  describe(`bounded clocks (${pipeline})`, () => {
    it('keeps every vector small in a long-running job, and the detector keeps what it orders ordered', async () => {
      const { stdout, server } = await runAgainstServer(
        `long-running-${pipeline}`,
        build(path.join(here, 'fixtures', 'long-running.ts')),
      );
      try {
        expect(stdout.trim().split('\n')).toEqual(['polls 400', 'chained 3000', 'slots 1']);
        const stored: StoredEvent[] = [];
        for await (const e of server.store.allEvents()) stored.push(e);
        const events = stored as unknown as Array<{
          kind: Record<string, { name?: string }>;
          causality_vector: unknown[];
        }>;
        expect(events.length).toBeGreaterThan(4_000);
        expect(Math.max(...events.map((e) => e.causality_vector.length))).toBeLessThanOrEqual(34);
        const folds = events.filter((e) => e.kind.Custom?.name === 'RacewayClockFold');
        expect(folds.length).toBeGreaterThan(0);
        const summary = (races: Array<{ severity: string; kind: string; variable: string }>) =>
          races.map((r) => `${r.severity} ${r.kind} ${r.variable}`);
        expect(summary((await server.analysis.current()).races)).toEqual([]);
        // Without the folds, the writes after the batch would look concurrent with the calls' gaps.
        expect(summary(analyze(accessesFrom(events.filter((e) => !folds.includes(e)) as never)).races)).not.toEqual([]);
      } finally {
        await server.close();
      }
    });
  });
}

for (const [pipeline, build] of [
  ['babel', withBabel],
  ['tsc', withTsc],
] as const) {
  describe(`state declared in a function belongs to each call (${pipeline})`, () => {
    it("names a factory's tracked binding per call: no race between two queues, a lost update on a shared one", async () => {
      const { stdout, server } = await runAgainstServer(
        `factory-state-${pipeline}`,
        build(path.join(here, 'fixtures', 'factory-state.ts')),
      );
      try {
        expect(stdout.trim()).toBe('own 1,1 shared 1');
        const races = (await server.analysis.current()).races;
        const found = races.map((r) => `${r.severity} ${r.kind} ${r.variable}`);
        expect(found).toContain('critical lost-update makeQueue#3.pending');
        // Every race is on the shared queue's binding: the two queues of their own never conflict.
        expect(
          races.filter((r) => r.variable !== 'makeQueue#3.pending'),
          found.join('\n'),
        ).toEqual([]);
        const stored: StoredEvent[] = [];
        for await (const e of server.store.allEvents()) stored.push(e);
        const names = new Set(
          stored.map((e) => (e.kind as { StateChange?: { variable: string } }).StateChange?.variable).filter(Boolean),
        );
        expect([...names].sort()).toEqual(['makeQueue#1.pending', 'makeQueue#2.pending', 'makeQueue#3.pending']);
      } finally {
        await server.close();
      }
    });
  });
}
