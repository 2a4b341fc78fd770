import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as babel from '@babel/core';
import { describe, expect, it } from 'vitest';
import racewayBabelPlugin from '@raceway/babel-plugin';
import { SqliteStore } from '@raceway/server';
import { serve } from './helpers/serve.js';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const cli = path.join(repo, 'server', 'bin', 'raceway.mjs');
const out = path.join(repo, 'test-output', 'server-cli');
mkdirSync(out, { recursive: true });

function buildFixture(): string {
  const source = path.join(here, 'fixtures', 'lost-update.ts');
  const code = babel.transformSync(readFileSync(source, 'utf8'), {
    filename: source,
    babelrc: false,
    configFile: false,
    presets: [[require.resolve('@babel/preset-typescript'), {}]],
    plugins: [[racewayBabelPlugin, { root: repo }]],
  })!.code!;
  const file = path.join(out, 'lost-update.mjs');
  writeFileSync(file, code);
  return file;
}

describe('raceway run', () => {
  const program = buildFixture();

  it('runs the command under detection, prints the race with both locations, writes JSON, keeps the exit code', () => {
    const json = path.join(out, 'report.json');
    const result = spawnSync(process.execPath, [cli, 'run', '--json', json, '--', process.execPath, program], {
      encoding: 'utf8',
      cwd: repo,
      env: { ...process.env, EXIT_WITH: '5' },
    });
    expect(result.status).toBe(5);
    expect(result.stdout).toContain('balance 80');
    expect(result.stdout).toMatch(/CRITICAL lost update on accounts\.alice\.balance/);
    expect(result.stdout).toContain('test/server/fixtures/lost-update.ts:10:19');
    expect(result.stdout).toContain('test/server/fixtures/lost-update.ts:12:3');
    expect(result.stdout).toContain('accounts[from].balance = balance - amount;');
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(report.stats.traces).toBeGreaterThanOrEqual(2);
    const critical = report.races.filter((r: { severity: string }) => r.severity === 'critical');
    expect(critical).toHaveLength(1);
    expect(critical[0]).toMatchObject({
      kind: 'lost-update',
      variable: 'accounts.alice.balance',
      observed: true,
      occurrences: 1,
    });
    expect(critical[0].accesses.map((a: { access: string; location: string }) => `${a.access} ${a.location}`)).toEqual([
      'read test/server/fixtures/lost-update.ts:10:19',
      'write test/server/fixtures/lost-update.ts:12:3',
      'write test/server/fixtures/lost-update.ts:12:3',
    ]);
  });

  it("exits 3 with --fail-on-race when a race was found, and with the command's code otherwise", () => {
    const racy = spawnSync(process.execPath, [cli, 'run', '--fail-on-race', '--', process.execPath, program], {
      encoding: 'utf8',
      cwd: repo,
    });
    expect(racy.status).toBe(3);
    // A program that sent nothing is not "clean": the report says so and --fail-on-race fails, unless told.
    const silent = spawnSync(
      process.execPath,
      [cli, 'run', '--fail-on-race', '--', process.execPath, '-e', 'console.log("no state")'],
      { encoding: 'utf8', cwd: repo },
    );
    expect(silent.status).toBe(4);
    expect(silent.stdout).toContain('Nothing to analyse: no event arrived.');
    expect(silent.stdout).toContain('RACEWAY_ENDPOINT');
    expect(silent.stdout).not.toContain('No races found');
    expect(silent.stderr).toContain('--allow-empty');
    const allowed = spawnSync(
      process.execPath,
      [cli, 'run', '--fail-on-race', '--allow-empty', '--', process.execPath, '-e', 'console.log("no state")'],
      { encoding: 'utf8', cwd: repo },
    );
    expect(allowed.status).toBe(0);
    // Events but no tracked access (built without the instrumenter): said too.
    const uninstrumented = `
      const { RacewayClient } = await import('@raceway/runtime');
      const c = RacewayClient.fromEnv({ serviceName: 'plain' });
      await c.startTrace('job', async () => c.trackFunctionCall('work', []));
      await c.shutdown();`;
    const plain = spawnSync(
      process.execPath,
      [cli, 'run', '--fail-on-race', '--', process.execPath, '--input-type=module', '-e', uninstrumented],
      { encoding: 'utf8', cwd: repo },
    );
    expect(plain.status).toBe(4);
    expect(plain.stdout).toMatch(/No tracked access among \d+ events/);
    expect(plain.stdout).toContain('tspc');
    // A run with tracked accesses and no race is clean.
    const clean = `
      const rw = await import('@raceway/runtime/instrument');
      const { RacewayClient } = await import('@raceway/runtime');
      const c = RacewayClient.fromEnv({ serviceName: 'calm' });
      let n = 0;
      await c.startTrace('job', async () => { n = rw.write('n', n, rw.read('n', n, 'a.js:1:1') + 1, 'a.js:1:1'); });
      await c.shutdown();`;
    const calm = spawnSync(
      process.execPath,
      [cli, 'run', '--fail-on-race', '--', process.execPath, '--input-type=module', '-e', clean],
      { encoding: 'utf8', cwd: repo },
    );
    expect(calm.status).toBe(0);
    expect(calm.stdout).toMatch(/No races found \(\d+ events, 2 tracked accesses/);
  });

  it('raceway check exits 4 when the server has nothing to analyse, unless --allow-empty', async () => {
    const server = await serve(['--db', ':memory:', '--log-level', 'silent']);
    try {
      const empty = spawnSync(process.execPath, [cli, 'check', '--endpoint', server.url], { encoding: 'utf8' });
      expect(empty.status).toBe(4);
      expect(empty.stdout).toContain('Nothing to analyse: no event arrived.');
      expect(
        spawnSync(process.execPath, [cli, 'check', '--endpoint', server.url, '--allow-empty'], { encoding: 'utf8' })
          .status,
      ).toBe(0);
    } finally {
      await server.stop();
    }
  });

  it('explains usage errors', () => {
    const noDashes = spawnSync(process.execPath, [cli, 'run', '--json', 'r.json', 'node', 'dist/server.js'], {
      encoding: 'utf8',
    });
    expect(noDashes.status).toBe(2);
    expect(noDashes.stderr).toContain('put the command after --: raceway run --json r.json -- node dist/server.js');
    const result = spawnSync(process.execPath, [cli, 'run'], { encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/needs a command after --/);
  });
});

describe('raceway serve', () => {
  it('keeps every acknowledged event when killed with SIGKILL mid-stream', async () => {
    const db = path.join(out, 'durable.db');
    rmSync(db, { force: true });
    const server = spawn(process.execPath, [cli, 'serve', '--port', '0', '--db', db], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const url = await new Promise<string>((resolve) => {
      server.stdout.on('data', (chunk: Buffer) => {
        const m = /listening on (http:\/\/[^\s]+)/.exec(String(chunk));
        if (m) resolve(m[1]!);
      });
    });
    const acknowledged: string[] = [];
    let batch = 0;
    const trace = '0af76519-16cd-43dd-8448-eb211c80319c';
    const stream = (async () => {
      for (;;) {
        const events = Array.from({ length: 50 }, (_, i) => ({
          id: `00000000-0000-8000-8000-${String(batch * 100 + i).padStart(12, '0')}`,
          trace_id: trace,
          parent_id: null,
          timestamp: new Date().toISOString(),
          kind: {
            StateChange: { variable: 'x', old_value: null, new_value: i, location: 'a.ts:1:1', access_type: 'Write' },
          },
          metadata: { thread_id: 't', process_id: 1, service_name: 's' },
          causality_vector: [],
          lock_set: [],
        }));
        batch++;
        try {
          const res = await fetch(`${url}/events`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ events }),
          });
          if (res.ok) acknowledged.push(...events.map((e) => e.id));
        } catch {
          return;
        }
      }
    })();
    // Mid-stream: after a few hundred acknowledged events, however fast this machine is today.
    for (let waited = 0; acknowledged.length < 300 && waited < 20_000; waited += 20)
      await new Promise((r) => setTimeout(r, 20));
    server.kill('SIGKILL');
    await stream;
    expect(acknowledged.length).toBeGreaterThan(100);
    const store = new SqliteStore(db);
    const stored = new Set([...store.allEvents()].map((e) => e.id));
    store.close();
    const missing = acknowledged.filter((id) => !stored.has(id));
    expect(missing).toEqual([]);
  });

  it('warns loudly when bound beyond loopback without a key', async () => {
    const server = spawn(process.execPath, [cli, 'serve', '--host', '0.0.0.0', '--port', '0', '--db', ':memory:'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stderr = await new Promise<string>((resolve) => {
      let text = '';
      server.stderr.on('data', (c: Buffer) => {
        text += String(c);
        if (text.includes('WARNING')) resolve(text);
      });
    });
    server.kill('SIGTERM');
    expect(stderr).toMatch(/without any API key/);
  });
});
