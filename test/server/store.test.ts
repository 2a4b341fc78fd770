import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore, startServer } from '@raceway/server';
import type BetterSqlite3 from 'better-sqlite3';
import { freshDbFile, storedEvent, traceOf } from './helpers/stored-events.js';

const require = createRequire(import.meta.url);
const Database = require('better-sqlite3') as typeof BetterSqlite3;
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = path.join(repo, 'test-output', 'server-store');
const ingestThread = path.join(repo, 'server', 'dist', 'esm', 'ingest', 'ingest-thread.js');

const dbFile = () => freshDbFile(out);

const event = storedEvent;

const stores: SqliteStore[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
});
function open(file: string): SqliteStore {
  const store = new SqliteStore(file);
  stores.push(store);
  return store;
}

// The cases every store shares are in store-contract.test.ts; these are about SQLite's own layout and threads.
describe('SQLite store', () => {
  it('keeps no second copy of a batch whose events were all stored already', () => {
    const file = dbFile();
    const store = open(file);
    expect(store.insert([event(1, 1), event(2, 1)])).toEqual({ inserted: 2, duplicates: 0 });
    expect(store.insert([event(1, 1), event(2, 1)])).toEqual({ inserted: 0, duplicates: 2 });
    expect(store.insert([event(2, 1), event(3, 1)])).toEqual({ inserted: 1, duplicates: 1 });
    const raw = new Database(file, { readonly: true });
    expect(raw.prepare('SELECT count(*) FROM batches').pluck().get()).toBe(2);
    raw.close();
    expect([...store.allEvents()].map((e) => e.id)).toEqual([event(1, 1).id, event(2, 1).id, event(3, 1).id]);
  });

  it('prunes whole traces and the batches no event refers to any more', () => {
    const file = dbFile();
    const store = open(file);
    store.insert([event(1, 1), event(2, 2)]);
    store.insert([event(3, 1)]);
    expect(store.prune(Date.now() - 60_000)).toBe(0);
    expect(store.prune(Date.now() + 1000)).toBe(3);
    expect(store.counts()).toEqual({ events: 0, traces: 0 });
    expect(store.traces(1, 10).total).toBe(0);
    const raw = new Database(file, { readonly: true });
    expect(raw.prepare('SELECT count(*) FROM batches').pluck().get()).toBe(0);
    raw.close();
    store.insert([event(4, 1)]);
    expect(store.traceEvents(traceOf(1))).toEqual([event(4, 1)]);
  });

  it('converts a database of the first layout in place, keeping every event', () => {
    const file = dbFile();
    const old = new Database(file);
    old.exec(`
      CREATE TABLE traces (key INTEGER PRIMARY KEY, trace_id TEXT NOT NULL UNIQUE);
      CREATE TABLE events (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, trace_key INTEGER NOT NULL, kind TEXT NOT NULL, service TEXT NOT NULL,
        span TEXT, upstream_span TEXT, ts TEXT NOT NULL, received_at INTEGER NOT NULL, body TEXT NOT NULL);
      CREATE INDEX events_trace ON events(trace_key);`);
    old.prepare('INSERT INTO traces (key, trace_id) VALUES (1, ?), (2, ?)').run(traceOf(1), traceOf(2));
    const insert = old.prepare(
      'INSERT INTO events (id, trace_key, kind, service, ts, received_at, body) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    const stored = [event(1, 1), event(2, 2), event(3, 1)];
    stored.forEach((e, i) =>
      insert.run(e.id, i === 1 ? 2 : 1, 'StateChange', 'svc', e.timestamp, Date.now(), JSON.stringify(e)),
    );
    old.close();

    const store = open(file);
    expect(store.counts()).toEqual({ events: 3, traces: 2 });
    expect([...store.allEvents()]).toEqual(stored);
    expect(store.traceEvents(traceOf(1))).toEqual([event(1, 1), event(3, 1)]);
    expect(store.insert([event(3, 1), event(4, 2)])).toEqual({ inserted: 1, duplicates: 1 });
    expect(store.traceEvents(traceOf(2))).toEqual([event(2, 2), event(4, 2)]);
  });

  it('converts a database of the second layout in place: events, trace index and the never-reused sequence kept', () => {
    const file = dbFile();
    const old = new Database(file);
    old.exec(`
      CREATE TABLE traces (key INTEGER PRIMARY KEY, trace_id TEXT NOT NULL UNIQUE);
      CREATE TABLE batches (key INTEGER PRIMARY KEY AUTOINCREMENT, received_at INTEGER NOT NULL, body BLOB NOT NULL);
      CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, trace_key INTEGER NOT NULL,
        kind TEXT NOT NULL, service TEXT NOT NULL, span TEXT, upstream_span TEXT, ts TEXT NOT NULL, batch INTEGER NOT NULL, position INTEGER NOT NULL);
      CREATE TABLE trace_events (trace_key INTEGER NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (trace_key, seq)) WITHOUT ROWID;
      CREATE TABLE trace_services (trace_key INTEGER NOT NULL, service TEXT NOT NULL, events INTEGER NOT NULL, first_ts TEXT NOT NULL,
        last_ts TEXT NOT NULL, latest_seq INTEGER NOT NULL, latest_batch INTEGER NOT NULL, PRIMARY KEY (trace_key, service)) WITHOUT ROWID;
      CREATE TABLE store_state (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
      INSERT INTO store_state (name, value) VALUES ('indexed_through', 0), ('events', 2);
      PRAGMA user_version = 2;`);
    old.prepare('INSERT INTO traces (key, trace_id) VALUES (1, ?), (2, ?)').run(traceOf(1), traceOf(2));
    const stored = [event(1, 1), event(2, 2)];
    old
      .prepare('INSERT INTO batches (key, received_at, body) VALUES (1, ?, ?)')
      .run(Date.now(), JSON.stringify({ events: stored }));
    const insert = old.prepare(
      'INSERT INTO events (seq, id, trace_key, kind, service, ts, batch, position) VALUES (?, ?, ?, ?, ?, ?, 1, ?)',
    );
    stored.forEach((e, i) => insert.run(i + 1, e.id, i + 1, 'StateChange', 'svc', e.timestamp, i));
    old.prepare("UPDATE sqlite_sequence SET seq = 40 WHERE name = 'events'").run(); // events 3..40 were pruned
    old.close();

    const store = open(file);
    expect(store.counts()).toEqual({ events: 2, traces: 2 });
    expect([...store.allEvents()]).toEqual(stored);
    expect(store.position()).toEqual({ lastSeq: 40, events: 2 });
    expect(store.insert([event(1, 1), event(3, 1)])).toEqual({ inserted: 1, duplicates: 1 });
    expect(store.position().lastSeq).toBeGreaterThan(40); // the new event was not given a pruned event's number
    expect([...store.eventsBetween(40, store.position().lastSeq)]).toEqual([event(3, 1)]);
    expect(store.traceEvents(traceOf(1))).toEqual([event(1, 1), event(3, 1)]);
    const raw = new Database(file, { readonly: true });
    expect(raw.pragma('user_version', { simple: true })).toBe(4);
    expect(raw.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'events_v2'").pluck().get()).toBe(0);
    raw.close();
  });

  it('indexes a little more than each write adds once the tail is long, and every query sees every event', () => {
    const file = dbFile();
    const store = new SqliteStore(file, { indexEvery: 100, indexStep: 10 });
    stores.push(store);
    const raw = new Database(file, { readonly: true });
    const indexedThrough = () =>
      raw.prepare("SELECT value FROM store_state WHERE name = 'indexed_through'").pluck().get() as number;
    const all: ReturnType<typeof event>[] = [];
    for (let b = 0; b < 12; b++) {
      const batch = Array.from({ length: 30 }, (_, i) => event(b * 30 + i + 1, (b * 30 + i) % 7));
      all.push(...batch);
      store.insert(batch);
      const tail = store.position().lastSeq - indexedThrough();
      // The tail never builds up past the threshold and one write's worth; no write indexes it all at once.
      expect(tail).toBeLessThan(100 + 30);
      if (b >= 4) expect(tail).toBeGreaterThan(30);
    }
    expect(indexedThrough()).toBeGreaterThan(0);
    raw.close();
    expect(store.counts().events).toBe(360);
    for (let t = 0; t < 7; t++)
      expect(store.traceEvents(traceOf(t))).toEqual(all.filter((e) => e.trace_id === traceOf(t)));
    const { traces, total } = store.traces(1, 10);
    expect(total).toBe(7);
    expect(traces.reduce((n, tr) => n + tr.events, 0)).toBe(360);
    expect(store.services()).toEqual([{ name: 'svc', events: 360, traces: 7 }]);
  });

  it('converts a database of the third layout in place: each of its rows stays one event', () => {
    const file = dbFile();
    const first = new SqliteStore(file);
    const stored = [event(1, 1), event(2, 2), event(3, 1)];
    first.insert(stored);
    first.close();
    const old = new Database(file);
    old.exec('ALTER TABLE events DROP COLUMN count; PRAGMA user_version = 3;'); // the third layout's table
    old.close();

    const store = open(file);
    expect(store.counts()).toEqual({ events: 3, traces: 2 });
    expect([...store.allEvents()]).toEqual(stored);
    expect(store.countBetween(0, store.position().lastSeq)).toBe(3);
    expect(store.insert([event(3, 1), event(4, 2)])).toEqual({ inserted: 1, duplicates: 1 });
    expect(store.traceEvents(traceOf(2))).toEqual([event(2, 2), event(4, 2)]);
    const raw = new Database(file, { readonly: true });
    expect(raw.pragma('user_version', { simple: true })).toBe(4);
    raw.close();
  });

  it('refuses a database written by a newer server', () => {
    const file = dbFile();
    const raw = new Database(file);
    raw.pragma('user_version = 99');
    raw.close();
    expect(() => new SqliteStore(file)).toThrow(/newer Raceway server.*layout 99/);
  });
});

describe('ingest on worker threads', () => {
  it('parses and writes beside the HTTP thread with the same replies, and every acknowledged event is stored', async () => {
    const file = dbFile();
    const server = await startServer({ host: '127.0.0.1', port: 0, db: file, apiKeys: [], ingestThread });
    const initial = statSync(file).size;
    try {
      const post = (body: string) =>
        fetch(`${server.url}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const replies = await Promise.all(
        Array.from({ length: 20 }, (_, b) =>
          post(
            JSON.stringify({ events: [...Array.from({ length: 50 }, (_, k) => event(b * 50 + k, b % 3)), { bad: b }] }),
          ),
        ),
      );
      for (const reply of replies)
        expect((await reply.json()).data).toMatchObject({
          accepted: 50,
          inserted: 50,
          rejected: 1,
          errors: [{ index: 50 }],
        });
      const again = await post(JSON.stringify({ events: [event(0, 0), event(1000, 0)] }));
      expect((await again.json()).data).toMatchObject({ inserted: 1, duplicates: 1 });
      const badJson = await post('{"events": [');
      expect(badJson.status).toBe(400);
      expect((await badJson.json()).code).toBe('RW_BAD_JSON');
      expect((await post('{"event": []}')).status).toBe(400);
      expect((await post('{"events":[],"__proto__":{"x":1}}')).status).toBe(200); // a prototype key is data
      expect(server.store.counts()).toEqual({ events: 1001, traces: 3 });
      // The checkpointer thread copies the WAL into the database file while the server runs (the writer
      // itself would only do so past 64 MiB of log).
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(statSync(file).size).toBeGreaterThan(initial);
      expect(server.store.traceEvents(traceOf(0))).toHaveLength(Math.ceil(20 / 3) * 50 + 1);
    } finally {
      await server.close();
    }
    const reopened = open(file);
    const ids = [...reopened.allEvents()].map((e) => e.id);
    expect(new Set(ids).size).toBe(1001);
  });

  it('prunes through the writer thread when a retention is set', async () => {
    const file = dbFile();
    const seed = open(file);
    seed.insert([event(1, 1)]);
    seed.close();
    stores.splice(0);
    const server = await startServer({ host: '127.0.0.1', port: 0, db: file, apiKeys: [], ingestThread, retainMs: 1 });
    try {
      // Retention runs on the writer thread's schedule: wait for it, within a deadline a busy machine meets.
      const deadline = Date.now() + 10_000;
      while ((await server.store.counts()).events > 0 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 50));
      expect((await server.store.counts()).events).toBe(0);
    } finally {
      await server.close();
    }
  });
});
