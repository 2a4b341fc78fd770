import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '@raceway/server';
import { lostUpdate } from './helpers/events.js';
import { cli, logLines, serve } from './helpers/serve.js';

/**
 * Storage faults for real: the database lives on a small tmpfs of its own, which the test fills, remounts
 * read-only and deletes from under a running `raceway serve`. Mounting needs root, as CI runs.
 */
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = path.join(repo, 'test-output', 'storage-faults', String(process.pid));
const json = { 'content-type': 'application/json' };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mount = (...args: string[]) => execFileSync('mount', args);

beforeAll(() => {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  mount('-t', 'tmpfs', '-o', 'size=6m', 'tmpfs', dir);
});
afterAll(() => {
  spawnSync('umount', ['-l', dir]);
  rmSync(dir, { recursive: true, force: true });
});

/** Posts a batch of `n` events (~1 KB each, incompressible); the reply's status and body. */
async function post(
  url: string,
  n = 60,
): Promise<{ status: number; body: { code?: string; data?: { inserted?: number } } }> {
  const events = Array.from({ length: Math.ceil(n / 3) }, (_, i) =>
    lostUpdate(`v${i}`, 'a.ts:1:1', 'a.ts:2:1', 'a.ts:3:1', randomBytes(700).toString('base64')),
  ).flat();
  const res = await fetch(`${url}/events`, { method: 'POST', headers: json, body: JSON.stringify({ events }) });
  return { status: res.status, body: (await res.json()) as { code?: string; data?: { inserted?: number } } };
}

const health = (url: string) => fetch(`${url}/health`).then((r) => r.status);

async function until(what: () => Promise<boolean>, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await what())) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await sleep(200);
  }
}

describe('storage faults under a running server', () => {
  it('answers 503 while the disk is full, logs it, recovers by itself, and acknowledges only what is stored', async () => {
    const db = path.join(dir, 'faults.db');
    const server = await serve(['--db', db]);
    let acknowledged = 0;
    const onExit: Array<() => void> = [];
    const postCounting = async () => {
      const reply = await post(server.url);
      if (reply.status === 200) acknowledged += reply.body.data!.inserted!;
      return reply;
    };
    try {
      expect((await postCounting()).status).toBe(200);

      // Disk full.
      const filler = path.join(dir, 'filler');
      onExit.push(() => rmSync(filler, { force: true }));
      try {
        writeFileSync(filler, Buffer.alloc(8 * 1024 * 1024, 1));
      } catch (error) {
        expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
      }
      let full = await postCounting();
      for (let i = 0; i < 50 && full.status === 200; i++) full = await postCounting();
      expect(full.status).toBe(503);
      expect(full.body.code).toBe('RW_STORAGE_UNAVAILABLE');
      expect(await health(server.url)).toBe(503);
      rmSync(filler);
      await until(async () => (await health(server.url)) === 200);
      expect((await postCounting()).status).toBe(200);
    } finally {
      for (const undo of onExit.splice(0)) undo();
      spawnSync('mount', ['-o', 'remount,rw', dir]);
      expect(await server.stop()).toBe(0);
    }
    const lines = logLines(server.stderr());
    expect(lines.find((l) => String(l.msg).startsWith('storage fault'))).toMatchObject({
      level: 50,
      code: 'SQLITE_FULL',
    });
    expect(lines.find((l) => String(l.msg).startsWith('storage recovered'))).toBeTruthy();
    const reopened = new SqliteStore(db);
    expect(reopened.counts().events).toBe(acknowledged);
    reopened.close();
  });

  it('refuses writes once the database file is deleted, instead of acknowledging events that are gone', async () => {
    const db = path.join(dir, 'deleted.db');
    const server = await serve(['--db', db]);
    try {
      expect((await post(server.url)).status).toBe(200);
      rmSync(db);
      const after = await post(server.url);
      expect(after.status).toBe(503);
      expect(after.body.code).toBe('RW_STORAGE_UNAVAILABLE');
      expect(await health(server.url)).toBe(503);
    } finally {
      await server.stop();
    }
    expect(logLines(server.stderr()).find((l) => String(l.msg).startsWith('storage fault'))).toMatchObject({
      code: 'RW_STORE_FILE_GONE',
      reason: expect.stringMatching(/deleted or replaced/),
    });
  });

  it('says at start that a read-only database file cannot be written, and exits 2 (run as an unprivileged user)', () => {
    const db = path.join(dir, 'readonly-file.db');
    new SqliteStore(db).close();
    chmodSync(db, 0o444);
    chmodSync(dir, 0o777); // the user may create the WAL beside it; only the database file is read-only
    try {
      const result = spawnSync(
        'setpriv',
        ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, cli, 'serve', '--port', '0', '--db', db],
        { encoding: 'utf8', timeout: 20_000 },
      );
      expect(result.status, result.stderr).toBe(2);
      expect(result.stderr).toMatch(
        /cannot use the database .*readonly-file\.db: attempt to write a readonly database/,
      );
    } finally {
      chmodSync(dir, 0o755);
    }
  });

  it('says at start that a database on a read-only file system cannot be written, and exits 2', () => {
    const db = path.join(dir, 'start-ro.db');
    new SqliteStore(db).close();
    mount('-o', 'remount,ro', dir);
    try {
      const result = spawnSync(process.execPath, [cli, 'serve', '--port', '0', '--db', db], {
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(/cannot use the database .*start-ro\.db/);
    } finally {
      mount('-o', 'remount,rw', dir);
    }
  });
});
