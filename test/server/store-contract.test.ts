// One set of cases for every EventStore: the embedded SQLite store and PostgreSQL (when a test database is set).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp, PostgresStore, SqliteStore } from '@raceway/server';
import type { EventStore, StoredEvent } from '@raceway/server';
import { freshSchema, POSTGRES_URL, sayPostgresSkipped } from './helpers/postgres.js';
import { freshDbFile, storedEvent, traceOf } from './helpers/stored-events.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = path.join(repo, 'test-output', 'store-contract');

const dbFile = () => freshDbFile(out);

interface StoreKind {
  name: string;
  open(): Promise<EventStore>;
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const kinds: StoreKind[] = [
  {
    name: 'SQLite',
    async open() {
      const store = new SqliteStore(dbFile());
      cleanups.push(() => store.close());
      return store;
    },
  },
];
if (POSTGRES_URL)
  kinds.push({
    name: 'PostgreSQL',
    async open() {
      const schema = freshSchema();
      const store = await PostgresStore.open(schema.url);
      cleanups.push(() => schema.drop());
      cleanups.push(() => store.close());
      return store;
    },
  });
else sayPostgresSkipped();

const event = storedEvent;

async function collect(events: Iterable<StoredEvent> | AsyncIterable<StoredEvent>): Promise<StoredEvent[]> {
  const all: StoredEvent[] = [];
  for await (const e of events) all.push(e);
  return all;
}

describe.each(kinds)('$name store', (kind) => {
  it('gives back every event exactly as it was posted, by position, with invalid neighbours left out', async () => {
    const store = await kind.open();
    const { app } = buildApp({ store });
    const events: unknown[] = [event(1, 1), { nonsense: true }, event(2, 1), 'x', event(3, 2)];
    const text = `\ufeff${JSON.stringify({ note: 'first', events })}`;
    const res = await app.inject({
      method: 'POST',
      url: '/events',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      payload: text,
    });
    expect(res.json().data).toMatchObject({ accepted: 3, inserted: 3, rejected: 2 });
    expect(await collect(store.allEvents())).toEqual([event(1, 1), event(2, 1), event(3, 2)]);
    expect(await store.traceEvents(traceOf(1))).toEqual([event(1, 1), event(2, 1)]);
    // The trace id in another form (no dashes, upper case) names the same trace.
    expect(await store.traceEvents(traceOf(1).replace(/-/g, '').toUpperCase())).toHaveLength(2);
    expect(await collect(store.allEvents(['FunctionCall']))).toEqual([]);
    await app.close();
  });

  it('keeps prototype keys inside values as data: every event stored as sent, no prototype touched', async () => {
    const store = await kind.open();
    const { app } = buildApp({ store });
    const hostile = [
      '{"StateChange":{"variable":"cfg","access_type":"Write","new_value":{"constructor":{"prototype":{"polluted":1}}},"location":"src/a.ts:1:1"}}',
      '{"StateChange":{"variable":"cfg","access_type":"Write","new_value":{"__proto__":{"polluted":2},"own":true},"location":"src/a.ts:2:1"}}',
      '{"StateChange":{"variable":"cfg","access_type":"Read","new_value":{"\\u005f_proto__":{"polluted":3}},"location":"src/a.ts:3:1"}}',
    ];
    const base = (i: number) => JSON.stringify(event(i, 9)).replace(/"kind":\{.*?\}\}/s, '"kind":KIND');
    const texts = [
      JSON.stringify(event(1, 9)),
      ...hostile.map((k, at) => base(10 + at).replace('KIND', k)),
      JSON.stringify(event(20, 9)),
    ];
    const payload = `{"events":[${texts.join(',')}],"__proto__":{"polluted":4}}`;
    const res = await app.inject({
      method: 'POST',
      url: '/events',
      headers: { 'content-type': 'application/json' },
      payload,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toMatchObject({ accepted: 5, inserted: 5, rejected: 0 });
    const stored = await store.traceEvents(traceOf(9));
    expect(stored.map((e) => JSON.stringify(e))).toEqual(texts.map((t) => JSON.stringify(JSON.parse(t))));
    expect(
      Object.hasOwn((stored[2]!.kind as { StateChange: { new_value: object } }).StateChange.new_value, '__proto__'),
    ).toBe(true);
    for (const url of ['/api/races', `/api/traces/${traceOf(9)}`, '/api/traces', '/api/services'])
      expect((await app.inject({ url })).statusCode).toBe(200);
    const trace = (await app.inject({ url: `/api/traces/${traceOf(9)}` })).json();
    expect(trace.data.events[2].kind.StateChange.new_value).toEqual(
      JSON.parse('{"__proto__":{"polluted":2},"own":true}'),
    );
    for (const probe of [{}, Object.create(null) as object, [] as object, new Map() as object])
      expect((probe as { polluted?: unknown }).polluted).toBeUndefined();
    expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain('polluted');
    await app.close();
  });

  it('answers trace lists, services and counts from what is stored, before and after deferred indexing', async () => {
    const store = await kind.open();
    const batch = (from: number, to: number, service: string) =>
      Array.from({ length: to - from }, (_, k) => event(from + k, (from + k) % 7, service));
    await store.insert(batch(0, 70, 'a'));
    await store.indexPending?.();
    await store.insert(batch(70, 100, 'b'));
    for (let t = 0; t < 7; t++) {
      const expected = [...batch(0, 70, 'a'), ...batch(70, 100, 'b')].filter((e) => e.trace_id === traceOf(t));
      expect(await store.traceEvents(traceOf(t))).toEqual(expected);
    }
    const { traces, total } = await store.traces(1, 100);
    expect(total).toBe(7);
    expect(traces.reduce((sum, t) => sum + t.events, 0)).toBe(100);
    expect(traces.every((t) => t.services.join() === 'a,b')).toBe(true);
    expect(traces[0]!).toMatchObject({ firstSeen: expect.any(String), lastSeen: expect.any(String) });
    expect((await store.traces(1, 100, 'b')).total).toBe(7);
    expect((await store.traces(1, 100, 'nobody')).total).toBe(0);
    expect((await store.traces(2, 5)).traces).toHaveLength(2);
    expect(await store.services()).toEqual([
      { name: 'a', events: 70, traces: 7 },
      { name: 'b', events: 30, traces: 7 },
    ]);
    const before = (await store.traces(1, 100)).traces;
    await store.indexPending?.();
    expect((await store.traces(1, 100)).traces).toEqual(before);
    expect(await store.counts()).toEqual({ events: 100, traces: 7 });
  });

  it('ignores a repeated event and refuses an id reused by another event, by its position', async () => {
    const store = await kind.open();
    expect(await store.insert([event(1, 1), event(2, 1)])).toEqual({ inserted: 2, duplicates: 0 });
    expect(await store.insert([event(1, 1), event(2, 1)])).toEqual({ inserted: 0, duplicates: 2 });
    expect(await store.insert([event(2, 1), event(3, 1)])).toEqual({ inserted: 1, duplicates: 1 });
    const reused = { ...event(4, 1), id: event(1, 1).id };
    const result = await store.insert([event(5, 1), reused]);
    expect(result).toMatchObject({ inserted: 1, duplicates: 0 });
    expect(result.conflicts).toEqual([
      { index: 1, reason: expect.stringMatching(/already used by another event.*timestamp/) },
    ]);
    // Within one group: the second copy of an event is a repeat, whatever batch it came in.
    const group = await store.insertBatches([
      {
        body: JSON.stringify({ events: [event(6, 2)] }),
        rows: [[event(6, 2).id, traceOf(2), 'StateChange', 'svc', null, null, event(6, 2).timestamp, 0]],
      },
      {
        body: JSON.stringify({ events: [event(6, 2)] }),
        rows: [[event(6, 2).id, traceOf(2), 'StateChange', 'svc', null, null, event(6, 2).timestamp, 0]],
      },
    ]);
    expect(group).toEqual([
      { inserted: 1, duplicates: 0 },
      { inserted: 0, duplicates: 1 },
    ]);
    expect((await collect(store.allEvents())).map((e) => e.id)).toEqual([1, 2, 3, 5, 6].map((i) => event(i, 1).id));
    expect((await store.counts()).events).toBe(5);
  });

  it('prunes what was received before the cutoff, and takes new events after', async () => {
    const store = await kind.open();
    await store.insert([event(1, 1), event(2, 2)]);
    await store.insert([event(3, 1)]);
    expect(await store.prune(Date.now() - 60_000)).toBe(0);
    // Two days ahead: every store's granularity (PostgreSQL keeps whole days) has passed.
    expect(await store.prune(Date.now() + 2 * 86_400_000)).toBe(3);
    expect(await store.counts()).toEqual({ events: 0, traces: 0 });
    expect((await store.traces(1, 10)).total).toBe(0);
    expect(await collect(store.allEvents())).toEqual([]);
    await store.insert([event(4, 1)]);
    expect(await store.traceEvents(traceOf(1))).toEqual([event(4, 1)]);
  });

  it('reads events by sequence number, in order, across many pages', async () => {
    const store = await kind.open();
    if (!store.position || !store.eventsBetween || !store.countBetween) return;
    const all = Array.from({ length: 25_000 }, (_, i) => event(i, i % 50));
    for (let i = 0; i < all.length; i += 5000) await store.insert(all.slice(i, i + 5000));
    const { lastSeq, events } = await store.position();
    expect(events).toBe(25_000);
    expect(await store.countBetween(0, lastSeq)).toBe(25_000);
    const read = await collect(store.eventsBetween(0, lastSeq));
    expect(read.map((e) => e.id)).toEqual(all.map((e) => e.id));
    const firstHalf = await collect(store.eventsBetween(0, lastSeq - 12_500));
    expect(firstHalf.length + (await store.countBetween(lastSeq - 12_500, lastSeq))).toBe(25_000);
  });

  it('lets the analysis see a prune followed by as many new events as were pruned', async () => {
    const store = await kind.open();
    const { analysis } = buildApp({ store });
    await store.insert([event(1, 1)]);
    const first = await analysis.current();
    expect(await analysis.current()).toBe(first); // nothing changed: the cached result
    await store.prune(Date.now() + 2 * 86_400_000);
    await store.insert([event(2, 2)]);
    expect((await store.counts()).events).toBe(1);
    expect(await analysis.current()).not.toBe(first);
  });
});

describe.skipIf(!POSTGRES_URL)('PostgreSQL stores opening together', () => {
  it('create a new schema once when several servers start on it at the same moment', async () => {
    for (let round = 0; round < 3; round++) {
      const schema = freshSchema();
      cleanups.push(() => schema.drop());
      const opened = await Promise.allSettled(Array.from({ length: 6 }, () => PostgresStore.open(schema.url)));
      for (const o of opened) if (o.status === 'fulfilled') cleanups.push(() => o.value.close());
      expect(opened.map((o) => (o.status === 'rejected' ? String(o.reason) : 'ok'))).toEqual(Array(6).fill('ok'));
    }
  });
});

describe.skipIf(!POSTGRES_URL)('PostgreSQL store across days', () => {
  const DAY = 86_400_000;
  it('recognises a retry that crosses midnight, and keeps each day in a partition retention drops whole', async () => {
    const schema = freshSchema();
    cleanups.push(() => schema.drop());
    const day = Math.floor(Date.now() / DAY) - 3;
    let now = (day + 1) * DAY - 30_000; // 30 s before midnight
    const store = await PostgresStore.open(schema.url, { now: () => now });
    cleanups.push(() => store.close());
    expect(await store.insert([event(1, 1), event(2, 1)])).toEqual({ inserted: 2, duplicates: 0 });
    now = (day + 1) * DAY + 60_000; // the retry, a minute after midnight
    const retry = await store.insert([
      event(1, 1),
      { ...event(2, 1), timestamp: '2026-11-26T11:00:00.000Z' },
      event(3, 1),
    ]);
    expect(retry).toMatchObject({ inserted: 1, duplicates: 1 });
    expect(retry.conflicts).toEqual([{ index: 1, reason: expect.stringMatching(/different timestamp/) }]);
    expect((await store.counts()).events).toBe(3);
    // The first day goes once all of it is older than the cutoff; the second stays.
    expect(await store.prune((day + 1) * DAY + 1000)).toBe(2);
    expect((await collect(store.allEvents())).map((e) => e.id)).toEqual([event(3, 1).id]);
    expect((await store.traces(1, 10)).traces[0]).toMatchObject({ events: 1 });
  });
});
