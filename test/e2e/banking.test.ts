import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freshSchema, POSTGRES_URL, sayPostgresSkipped } from '../server/helpers/postgres.js';

/**
 * The banking examples end to end: real processes, real HTTP, the real server (embedded by
 * `raceway run`), built once with tsc + transformer and once with Babel + plugin (`npm test` builds
 * the workspaces first).
 */
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = path.join(repo, 'server', 'bin', 'raceway.mjs');
const out = path.join(repo, 'test-output', 'e2e');
mkdirSync(out, { recursive: true });

interface Report {
  races: Array<{
    severity: string;
    kind: string;
    variable: string;
    observed: boolean;
    occurrences: number;
    accesses: Array<{ access: string; location: string; service: string; traceId: string }>;
  }>;
  stats: { events: number; traces: number };
}

const schemas: Array<ReturnType<typeof freshSchema>> = [];
afterAll(async () => {
  for (const schema of schemas.splice(0)) await schema.drop();
});

/** `raceway run` on its embedded store, or on a fresh PostgreSQL schema. */
function runUnderRaceway(example: string, endpoint: string, store: Store): { stdout: string; report: Report } {
  const json = path.join(out, `${example}${endpoint.replace(/\//g, '-')}-${store}.json`);
  const storeArgs: string[] = [];
  if (store === 'postgres') {
    const schema = freshSchema();
    schemas.push(schema);
    storeArgs.push('--store', schema.url);
  }
  const result = spawnSync(
    process.execPath,
    [cli, 'run', '--json', json, ...storeArgs, '--', process.execPath, 'dist/load.js', endpoint, '10'],
    {
      cwd: path.join(repo, 'examples', example),
      encoding: 'utf8',
    },
  );
  if (result.status !== 0) throw new Error(`raceway run exited ${result.status}: ${result.stderr}`);
  return { stdout: result.stdout, report: JSON.parse(readFileSync(json, 'utf8')) as Report };
}

type Store = 'sqlite' | 'postgres';
const runs: Array<[string, Store]> = [
  ['express-banking', 'sqlite'],
  ['babel-banking', 'sqlite'],
];
// The examples run once against PostgreSQL too: the same report from the other store.
if (POSTGRES_URL) runs.push(['express-banking', 'postgres']);
else sayPostgresSkipped();

describe.each(runs)('%s (%s store)', (example, store) => {
  it('reports exactly the lost update on the balance, with the read and the write locations', () => {
    const { stdout, report } = runUnderRaceway(example, '/transfer', store);
    expect(stdout).toMatch(/lost updates changed it/);
    expect(report.races.map((r) => `${r.severity} ${r.kind} ${r.variable}`)).toEqual([
      'critical lost-update accounts.alice.balance',
    ]);
    const [race] = report.races;
    expect(race!.observed).toBe(true);
    expect(race!.occurrences).toBeGreaterThan(1);
    expect(race!.accesses.map((a) => `${a.access} ${a.location}`)).toEqual([
      'read src/bank.ts:21:19',
      'write src/bank.ts:24:3',
      'write src/bank.ts:24:3',
    ]);
    expect(new Set(race!.accesses.map((a) => a.traceId)).size).toBe(2);
    expect(race!.accesses.every((a) => a.service === 'express-banking')).toBe(true);
    expect(report.stats.traces).toBeGreaterThanOrEqual(11);
  });

  it('reports no race for the locked variant', () => {
    const { stdout, report } = runUnderRaceway(example, '/transfer-safe', store);
    expect(stdout).toMatch(/money conserved/);
    expect(report.races).toEqual([]);
    expect(report.stats.events).toBeGreaterThan(100);
  });
});
