import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * `node --import @raceway/register app.ts`: TypeScript run without a build step is instrumented as it
 * loads — ES modules (imports written `./stock.js`, as NodeNext projects do) and CommonJS (extensionless
 * imports) — and `raceway run` finds the race at the TypeScript source's lines.
 */
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const fixtures = path.join(repo, 'test', 'e2e', 'fixtures');
const cache = mkdtempSync(path.join(os.tmpdir(), 'raceway-register-cache-'));
afterAll(() => rmSync(cache, { recursive: true, force: true }));
const env = { ...process.env, RACEWAY_REGISTER_CACHE: cache, RACEWAY_LOG: 'silent' };

function raceway(args: string[]) {
  return spawnSync(process.execPath, [path.join(repo, 'server', 'bin', 'raceway.mjs'), ...args], {
    cwd: repo,
    encoding: 'utf8',
    env,
  });
}

describe('load-time instrumentation with node --import @raceway/register', () => {
  for (const kind of ['esm', 'cjs']) {
    it(`finds the race in a TypeScript ${kind === 'esm' ? 'ES module' : 'CommonJS'} app run directly`, () => {
      const app = path.join(fixtures, `register-${kind}`, 'src', 'app.ts');
      const report = path.join(cache, `${kind}.json`);
      const run = raceway(['run', '--json', report, '--', process.execPath, '--import', '@raceway/register', app]);
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toContain('left 9');
      const races = JSON.parse(readFileSync(report, 'utf8')).races as Array<{
        kind: string;
        variable: string;
        accesses: Array<{ location: string }>;
      }>;
      expect(races.map((r) => `${r.kind} ${r.variable}`)).toEqual(['lost-update stock.mug']);
      expect(races[0]!.accesses.map((a) => a.location)).toContain(
        `test/e2e/fixtures/register-${kind}/src/stock.ts:4:24`,
      );
    }, 60_000);
  }

  // CI runs this one under Node 22 and 24 too (module hooks and require differ between versions); the
  // events stay in memory there, since the server's native SQLite module is built for the system Node.
  for (const kind of ['esm', 'cjs']) {
    it(`records the ${kind === 'esm' ? 'ES module' : 'CommonJS'} app's accesses under Node ${process.versions.node}`, () => {
      const events = path.join(cache, `${kind}-events.json`);
      const run = spawnSync(
        process.execPath,
        [
          '--import',
          path.join(repo, 'test', 'conformance', 'harness.mjs'),
          '--import',
          '@raceway/register',
          path.join(fixtures, `register-${kind}`, 'src', 'app.ts'),
        ],
        { cwd: repo, encoding: 'utf8', env: { ...env, RACEWAY_EVENTS_OUT: events } },
      );
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toContain('left 9');
      const changes = (
        JSON.parse(readFileSync(events, 'utf8')) as Array<{
          kind: { StateChange?: { variable: string; access_type: string } };
        }>
      )
        .filter((e) => e.kind.StateChange?.variable === 'stock.mug')
        .map((e) => e.kind.StateChange!.access_type);
      expect(changes.sort()).toEqual(['Read', 'Read', 'Write', 'Write']);
    });
  }

  it('keeps stack traces on the TypeScript lines and compiles each file once', () => {
    const before = readdirSync(cache).filter((f) => f.endsWith('.js')).length;
    const run = spawnSync(
      process.execPath,
      ['--import', '@raceway/register', path.join(fixtures, 'register-esm', 'src', 'fails.ts')],
      { cwd: repo, encoding: 'utf8', env },
    );
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('Error: on purpose');
    expect(run.stderr).toMatch(/fails\.ts:4:9/);
    const after = readdirSync(cache).filter((f) => f.endsWith('.js')).length;
    expect(after).toBe(before + 1);
    spawnSync(
      process.execPath,
      ['--import', '@raceway/register', path.join(fixtures, 'register-esm', 'src', 'fails.ts')],
      { cwd: repo, encoding: 'utf8', env },
    );
    expect(readdirSync(cache).filter((f) => f.endsWith('.js')).length).toBe(after);
  });
});
