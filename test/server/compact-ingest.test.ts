import type { AddressInfo } from 'node:net';
import type { CompactBatch, CompactRunsBatch, CompactVersion } from '@raceway/protocol';
import { BATCH_FORMATS_HEADER, COMPACT_FORMATS } from '@raceway/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp, PostgresStore, SqliteStore } from '@raceway/server';
import { freshSchema, POSTGRES_URL, sayPostgresSkipped } from './helpers/postgres.js';
import { RacewayClient } from '../../runtime/src/index.js';
import { eventsOfRuns } from '@raceway/protocol';
import { BatchEncoder } from '../../runtime/src/export/batch-body.js';
import { Redactor } from '../../runtime/src/export/wire-event.js';
import type { EventRecord } from '../../runtime/src/record/event-record.js';

/**
 * Compact batches end to end: the SDK's encoder, the server's checks, its store and analysis. What the server
 * keeps of a compact batch must be exactly what it keeps of the same events sent as standard JSON.
 */

const open: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

function server() {
  const store = new SqliteStore(':memory:');
  const { app } = buildApp({ store, apiKeys: [] });
  open.push(store, app);
  return { store, app };
}

/** A lost update across an await, and a read-modify-write without one: one race. */
async function lostUpdate(client: RacewayClient): Promise<void> {
  let balance = 100;
  const withdraw = (amount: number) =>
    client.startTrace(`withdraw ${amount}`, async () => {
      client.trackStateChange('balance', balance, balance, 'Read', 'src/bank.ts:10:5');
      const seen = balance;
      await new Promise((r) => setTimeout(r, 5));
      client.trackStateChange('balance', seen, seen - amount, 'Write', 'src/bank.ts:12:5');
      balance = seen - amount;
      client.trackStateChange('audit', [{ amount }], [{ amount }, { after: balance }], 'Write', 'src/bank.ts:13:5');
    });
  await Promise.all([withdraw(30), withdraw(50)]);
}

async function records(): Promise<{ client: RacewayClient; records: EventRecord[] }> {
  const client = RacewayClient.inMemory({ serviceName: 'bank' });
  await lostUpdate(client);
  return { client, records: (client as unknown as { memory: { records: EventRecord[] } }).memory.records };
}

const encoderOf = (client: RacewayClient) =>
  new BatchEncoder((client as unknown as { identity: never }).identity, new Redactor([]));

const post = (app: ReturnType<typeof server>['app'], payload: string) =>
  app.inject({ method: 'POST', url: '/events', headers: { 'content-type': 'application/json' }, payload });

sayPostgresSkipped();

describe('compact batches at POST /events', () => {
  it.each([1, 2] as CompactVersion[])(
    'are stored and analysed exactly as the same events sent as standard JSON (version %i)',
    async (version) => {
      const { client, records: recs } = await records();
      const encoder = encoderOf(client);
      const standard = server();
      const compact = server();
      const [standardBody] = encoder.encode(recs, undefined).bodies;
      const [compactBody] = encoder.encode(recs, version).bodies;
      expect(JSON.parse(compactBody!.body.toString()).raceway_batch).toBe(version);
      const a = await post(standard.app, standardBody!.body.toString());
      const b = await post(compact.app, compactBody!.body.toString());
      expect(a.json()).toMatchObject({ success: true, data: { accepted: recs.length, inserted: recs.length } });
      expect(b.json()).toEqual(a.json());
      expect(b.headers[BATCH_FORMATS_HEADER]).toBe(COMPACT_FORMATS);
      expect(COMPACT_FORMATS).toBe('compact-2, compact-1');
      expect([...compact.store.allEvents()]).toEqual([...standard.store.allEvents()]);
      const traces = (await standard.app.inject('/api/traces')).json();
      expect((await compact.app.inject('/api/traces')).json()).toEqual(traces);
      const id = traces.data.traces[0].traceId as string;
      expect((await compact.app.inject(`/api/traces/${id}`)).json()).toEqual(
        (await standard.app.inject(`/api/traces/${id}`)).json(),
      );
      const races = (await compact.app.inject('/api/races')).json();
      expect(races.data.races).toHaveLength(1);
      expect(races).toEqual((await standard.app.inject('/api/races')).json());
      // A retry of the same compact batch is acknowledged as duplicates.
      expect((await post(compact.app, compactBody!.body.toString())).json().data).toMatchObject({
        inserted: 0,
        duplicates: recs.length,
      });
    },
  );

  it.skipIf(!POSTGRES_URL)(
    'are stored in PostgreSQL as received and read back as the same standard events',
    async () => {
      const { client, records: recs } = await records();
      const encoder = encoderOf(client);
      const schema = freshSchema();
      const store = await PostgresStore.open(schema.url);
      try {
        const { app } = buildApp({ store, apiKeys: [] });
        open.push(app);
        const [compactBody] = encoder.encode(recs, 2).bodies;
        const res = await post(app, compactBody!.body.toString());
        expect(res.json()).toMatchObject({ success: true, data: { accepted: recs.length, inserted: recs.length } });
        // A retry, and the same events in the standard form: duplicates.
        for (const again of [
          compactBody!,
          encoder.encode(recs, 1).bodies[0]!,
          encoder.encode(recs, undefined).bodies[0]!,
        ])
          expect((await post(app, again.body.toString())).json().data).toMatchObject({
            inserted: 0,
            duplicates: recs.length,
          });
        const reference = server();
        await post(reference.app, encoder.encode(recs, undefined).bodies[0]!.body.toString());
        const stored = [];
        for await (const e of store.allEvents()) stored.push(e);
        expect(stored).toEqual([...reference.store.allEvents()]);
        expect((await app.inject('/api/races')).json().data.races).toHaveLength(1);
      } finally {
        await store.close();
        await schema.drop();
      }
    },
  );

  it('come from the SDK once the server says it reads them, and the race is found', async () => {
    const { app, store } = server();
    await app.listen({ port: 0, host: '127.0.0.1' });
    const endpoint = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const client = new RacewayClient({ serviceName: 'bank', endpoint });
    await client.startTrace('warm-up', async () => client.trackStateChange('x', 0, 1, 'Write', 'src/a.ts:1:1'));
    await client.flush();
    await lostUpdate(client);
    await client.shutdown();
    expect(client.stats()).toMatchObject({ dropped: 0, queued: 0 });
    const stored = (store as unknown as { db: { prepare(sql: string): { pluck(): { all(): Buffer[] } } } }).db
      .prepare('SELECT body FROM batches ORDER BY key')
      .pluck()
      .all();
    const { unpackBatchText } = await import('../../server/src/store/batch-text.js');
    const forms = stored.map(
      (body) => (JSON.parse(unpackBatchText(body)) as { raceway_batch?: number }).raceway_batch ?? 0,
    );
    expect(forms[0]).toBe(0);
    expect(forms.slice(1)).toContain(2);
    expect(store.counts().events).toBe(client.stats().sent);
    const races = (await app.inject('/api/races')).json();
    expect(races.data.races.map((r: { variable: string }) => r.variable)).toEqual(['balance']);
  });
});

describe('compact runs in the SQLite store', () => {
  /** Requests whose handlers have no await: each trace's state changes are one run of the batch. */
  async function handlers(client: RacewayClient, requests: number): Promise<void> {
    const counters = { hits: 0, total: 0 };
    for (let r = 0; r < requests; r++)
      await client.startTrace(`request ${r}`, async () => {
        for (let i = 0; i < 5; i++) {
          client.trackStateChange('hits', counters.hits, counters.hits, 'Read', 'src/app.ts:4:3');
          client.trackStateChange('hits', counters.hits, ++counters.hits, 'Write', 'src/app.ts:4:3');
          client.trackStateChange('total', counters.total, (counters.total += r), 'Write', 'src/app.ts:5:3');
        }
        // Long enough that the read after it has another timestamp (a 1 ms timer can fire within the same
        // millisecond, and then the read would rightly share its row).
        await new Promise((resolve) => setTimeout(resolve, 5));
        client.trackStateChange('hits', counters.hits, counters.hits, 'Read', 'src/app.ts:7:3');
      });
  }

  it('keeps a run of events as one row, and every query reads and counts each event', async () => {
    const client = RacewayClient.inMemory({ serviceName: 'shop' });
    await handlers(client, 6);
    const recs = (client as unknown as { memory: { records: EventRecord[] } }).memory.records;
    const encoder = encoderOf(client);
    const compact = server();
    const standard = server();
    await post(standard.app, encoder.encode(recs, undefined).bodies[0]!.body.toString());
    expect((await post(compact.app, encoder.encode(recs, 2).bodies[0]!.body.toString())).json().data).toMatchObject({
      inserted: recs.length,
    });
    const rowsOf = (store: SqliteStore) =>
      (store as unknown as { db: { prepare(sql: string): { pluck(): { get(): number } } } }).db
        .prepare('SELECT count(*) FROM events')
        .pluck()
        .get();
    expect(rowsOf(standard.store)).toBe(recs.length);
    // Each request: its start, its 15 changes before the await in one row, the read after it.
    expect(recs.length).toBe(6 * 17);
    expect(rowsOf(compact.store)).toBe(6 * 3);
    expect(compact.store.counts()).toEqual(standard.store.counts());
    expect([...compact.store.allEvents()]).toEqual([...standard.store.allEvents()]);
    expect([...compact.store.allEvents(['StateChange'])]).toEqual([...standard.store.allEvents(['StateChange'])]);
    const { lastSeq, events } = compact.store.position();
    expect(events).toBe(recs.length);
    expect(compact.store.countBetween(0, lastSeq)).toBe(recs.length);
    // Read in pages of sequence numbers, the events come out whole and in order.
    const paged = [];
    for (let seq = 0; seq < lastSeq; seq += 5)
      paged.push(...compact.store.eventsBetween(seq, Math.min(seq + 5, lastSeq)));
    expect(paged).toEqual([...standard.store.allEvents()]);
    for (const when of ['before', 'after'] as const) {
      if (when === 'after') compact.store.indexPending();
      const traces = (await standard.app.inject('/api/traces')).json();
      expect((await compact.app.inject('/api/traces')).json()).toEqual(traces);
      expect(compact.store.services()).toEqual(standard.store.services());
      for (const { traceId } of traces.data.traces as Array<{ traceId: string }>)
        expect(compact.store.traceEvents(traceId)).toEqual(standard.store.traceEvents(traceId));
    }
    expect((await compact.app.inject('/api/races')).json()).toEqual((await standard.app.inject('/api/races')).json());
    expect(compact.store.prune(Date.now() + 60_000)).toBe(recs.length);
    expect(compact.store.counts()).toEqual({ events: 0, traces: 0 });
  });
});

describe('hostile compact batches', () => {
  const DEEP = '<deeply nested>';
  /** A valid compact batch of the lost update (version 1 unless told), to break one part of. */
  async function valid(): Promise<CompactBatch>;
  async function valid(version: 2): Promise<CompactRunsBatch>;
  async function valid(version: CompactVersion = 1): Promise<CompactBatch | CompactRunsBatch> {
    const { client, records: recs } = await records();
    return JSON.parse(encoderOf(client).encode(recs, version).bodies[0]!.body.toString()) as CompactBatch;
  }

  it('refuses a batch whose header or tables are wrong, saying what is wrong, and stores nothing', async () => {
    const breakages: Array<[string, (b: CompactBatch) => void, RegExp]> = [
      ['an unknown version', (b) => ((b as { raceway_batch: unknown }).raceway_batch = 3), /version 3 .*reads 2 and 1/],
      [
        'version 2 without runs',
        (b) => ((b as { raceway_batch: unknown }).raceway_batch = 2),
        /\/runs must be an array/,
      ],
      [
        'a version that is a long string',
        (b) => ((b as { raceway_batch: unknown }).raceway_batch = 'v'.repeat(100_000)),
        /version "v{40}" is not read/,
      ],
      // Too deep for JSON.stringify here: the text is spliced in below.
      [
        'a version that is a deeply nested array',
        (b) => ((b as { raceway_batch: unknown }).raceway_batch = DEEP),
        /version object/,
      ],
      ['a bad id prefix', (b) => (b.id_prefix = 'x'), /id_prefix/],
      ['a long service name', (b) => (b.service_name = 's'.repeat(300)), /service_name/],
      ['a non-string in the strings', (b) => ((b.strings as unknown[])[0] = 5), /strings/],
      ['a task naming a missing string', (b) => (b.tasks[0]![0] = 10_000), /tasks\/0/],
      ['a task naming a missing trace', (b) => (b.tasks[0]![4] = 99), /tasks\/0/],
      ['a trace id that is not a UUID', (b) => (b.traces[0]![0] = 'nope'), /traces\/0/],
      ['a clock with an odd length', (b) => b.clocks[0]!.push(0), /clocks\/0/],
      ['a clock count that is not a number', (b) => ((b.clocks[0] as unknown[])[1] = '1'), /clocks\/0/],
      ['tags that are not strings', (b) => ((b.tags as Record<string, unknown>).x = { deep: 1 }), /tags/],
      ['no events array', (b) => ((b as { events: unknown }).events = {}), /events/],
    ];
    for (const [what, breakIt, reason] of breakages) {
      const { app, store } = server();
      const batch = await valid();
      breakIt(batch);
      const res = await post(app, JSON.stringify(batch).replace(`"${DEEP}"`, '['.repeat(5000) + ']'.repeat(5000)));
      expect(res.statusCode, what).toBe(400);
      expect(res.json(), what).toMatchObject({ success: false, code: 'RW_BAD_BATCH' });
      expect(res.json().error, what).toMatch(reason);
      expect(store.counts().events, what).toBe(0);
    }
  });

  it('refuses a version 2 batch whose runs do not say where each event ends, naming the run', async () => {
    const breakages: Array<[string, (b: CompactRunsBatch) => void, RegExp]> = [
      ['runs that are not an array', (b) => ((b as { runs: unknown }).runs = {}), /\/runs must be an array/],
      ['a run that is not an array', (b) => ((b.runs as unknown[])[1] = 'run'), /\/runs\/1 must be/],
      ['a run with no event', (b) => (b.runs[0]!.length = 8), /\/runs\/0 must be/],
      ['a state change code out of range', (b) => (b.runs[0]![8] = 10), /\/runs\/0\/8 must be a state change/],
      ['a negative code', (b) => (b.runs[0]![8] = -2), /\/runs\/0\/8/],
      ['a fractional code', (b) => (b.runs[0]![8] = 0.5), /\/runs\/0\/8/],
      [
        'a state change cut short',
        (b) => b.runs[0]!.splice(b.runs[0]!.length - 1),
        /\/runs\/0\/\d+ must be a state change/,
      ],
      [
        'an item that is an array',
        (b) => (b.runs[0]![8] = [0, 1, 2, 3]),
        /\/runs\/0\/8 must be a state change code or an event kind/,
      ],
      ['an item that is null', (b) => (b.runs[0]![8] = null), /\/runs\/0\/8/],
      ['an item that is a string', (b) => (b.runs[0]![8] = 'Read'), /\/runs\/0\/8/],
    ];
    for (const [what, breakIt, reason] of breakages) {
      const { app, store } = server();
      const batch = await valid(2);
      // The first run ends with a state change (a read or a write), as the test cuts it.
      expect(typeof batch.runs[0]![8], what).toBe('object');
      batch.runs[0]!.splice(8, 1, 0, 0, 0, 1); // the trace's first event made a read, to break
      breakIt(batch);
      const res = await post(app, JSON.stringify(batch));
      expect(res.statusCode, what).toBe(400);
      expect(res.json(), what).toMatchObject({ success: false, code: 'RW_BAD_BATCH' });
      expect(res.json().error, what).toMatch(reason);
      expect(store.counts().events, what).toBe(0);
    }
  });

  it('refuses bad events of a version 2 batch one by one, by their place among all its events', async () => {
    const batch = await valid(2);
    const n = batch.runs.reduce((k, run) => k + eventsOfRuns([run]).length, 0);
    // The last run: a write of the lost update (one state change), then the audit write.
    const last = batch.runs.at(-1)!;
    const first = n - eventsOfRuns([last]).length;
    expect(typeof last[8]).toBe('number');
    last[9] = 9_999; // its first event's variable
    // A run whose sequence number is not a number: each of its events is refused.
    const bad = structuredClone(batch.runs[0]!);
    const badCount = eventsOfRuns([bad]).length;
    bad[0] = 'one' as unknown as number;
    batch.runs.push(bad);
    const { app, store } = server();
    const res = await post(app, JSON.stringify(batch));
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.data).toMatchObject({ accepted: n - 1, rejected: 1 + badCount });
    expect(body.data.errors.map((e: { index: number }) => e.index)).toEqual([
      first,
      ...Array.from({ length: badCount }, (_, k) => n + k),
    ]);
    expect(body.data.errors[0].reason).toMatch(/kind\/1/);
    expect(body.data.errors[1].reason).toMatch(/seq/);
    expect(store.counts().events).toBe(n - 1);
  });

  it('refuses bad events one by one by index, and keeps the rest', async () => {
    const batch = await valid();
    const n = batch.events.length;
    const stateChanges = batch.events.map((e, i) => [e, i] as const).filter(([e]) => Array.isArray(e[8]));
    const [first, second, third, fourth] = stateChanges.map(([, i]) => i);
    let deep: unknown = 1;
    for (let i = 0; i < 80; i++) deep = [deep];
    batch.events[first!]![0] = -1; // seq
    (batch.events[second!]![8] as unknown[])[1] = 9_999; // variable
    (batch.events[third!]![8] as unknown[])[3] = deep; // a value nested too deep
    batch.events[fourth!]![4] = 1e30; // a time past year 9999
    (batch.events as unknown[]).push('not an event', [1, 0, 0, 0, 0, 0, [], -1, { Teleport: {} }]);
    const { app, store } = server();
    const res = await post(app, JSON.stringify(batch));
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.data).toMatchObject({ accepted: n - 4, rejected: 6 });
    expect(body.data.errors.map((e: { index: number }) => e.index)).toEqual(
      [first, second, third, fourth, n, n + 1].sort((x, y) => x! - y!),
    );
    const reasons = body.data.errors.map((e: { reason: string }) => e.reason).join('\n');
    expect(reasons).toMatch(/seq/);
    expect(reasons).toMatch(/kind\/1/);
    expect(reasons).toMatch(/nests deeper/);
    expect(reasons).toMatch(/9999/);
    expect(reasons).toMatch(/Teleport|additional/);
    expect(store.counts().events).toBe(n - 4);
    // What was kept reads back, decoded; the rejected events are not in it.
    const kept = [...store.allEvents()];
    expect(kept).toHaveLength(n - 4);
    expect(kept.every((e) => typeof e.id === 'string' && e.metadata.service_name === 'bank')).toBe(true);
  });
});

describe('compact events sent again', () => {
  const data = (res: { json(): { data: Record<string, unknown> } }) => res.json().data;
  async function both(): Promise<{ compact: CompactBatch; runs: string; standard: string; n: number }> {
    const { client, records: recs } = await records();
    const encoder = encoderOf(client);
    const compact = JSON.parse(encoder.encode(recs, 1).bodies[0]!.body.toString()) as CompactBatch;
    const runs = encoder.encode(recs, 2).bodies[0]!.body.toString();
    return { compact, runs, standard: encoder.encode(recs, undefined).bodies[0]!.body.toString(), n: recs.length };
  }
  const part = (batch: CompactBatch, from: number, to: number) =>
    JSON.stringify({ ...batch, events: batch.events.slice(from, to) });

  it('are duplicates however the batch is cut, and the new events beside them are stored', async () => {
    const { compact, standard, n } = await both();
    const half = Math.floor(n / 2);
    const { app, store } = server();
    expect(data(await post(app, part(compact, 0, half)))).toMatchObject({ inserted: half, duplicates: 0 });
    expect(data(await post(app, JSON.stringify(compact)))).toMatchObject({ inserted: n - half, duplicates: half });
    expect(data(await post(app, part(compact, 1, n - 1)))).toMatchObject({ inserted: 0, duplicates: n - 2 });
    expect(store.counts().events).toBe(n);
    const reference = server();
    await post(reference.app, standard);
    expect([...store.allEvents()]).toEqual([...reference.store.allEvents()]);
  });

  it('are duplicates when they come again in another form, and the other way round', async () => {
    const { compact, runs, standard, n } = await both();
    for (const [a, b] of [
      [runs, JSON.stringify(compact)],
      [JSON.stringify(compact), runs],
      [runs, standard],
      [standard, runs],
    ]) {
      const { app, store } = server();
      await post(app, a!);
      expect(data(await post(app, b!))).toMatchObject({ inserted: 0, duplicates: n });
      expect(store.counts().events).toBe(n);
    }
    const first = server();
    await post(first.app, JSON.stringify(compact));
    expect(data(await post(first.app, standard))).toMatchObject({ inserted: 0, duplicates: n });
    const second = server();
    await post(second.app, standard);
    expect(data(await post(second.app, JSON.stringify(compact)))).toMatchObject({ inserted: 0, duplicates: n });
    for (const { store } of [first, second]) expect(store.counts().events).toBe(n);
    expect([...first.store.allEvents()]).toEqual([...second.store.allEvents()]);
  });

  it('refuses another event under a stored sequence number, in either form', async () => {
    const { compact, standard, n } = await both();
    const { app, store } = server();
    await post(app, JSON.stringify(compact));
    const later = structuredClone(compact);
    later.events[0]![4] += 5_000; // the same number, five milliseconds later: another event
    const res = data(await post(app, JSON.stringify(later)));
    expect(res).toMatchObject({ inserted: 0, duplicates: n - 1, rejected: 1 });
    expect(res.errors).toEqual([
      { index: 0, reason: expect.stringMatching(/already used by another event \(different timestamp\)/) },
    ]);
    const moved = JSON.parse(standard) as { events: Array<{ trace_id: string }> };
    moved.events[1]!.trace_id = '0'.repeat(32);
    const res2 = data(await post(app, JSON.stringify(moved)));
    expect(res2).toMatchObject({ inserted: 0, duplicates: n - 1, rejected: 1 });
    expect(res2.errors).toEqual([{ index: 1, reason: expect.stringMatching(/different trace_id/) }]);
    expect(store.counts().events).toBe(n);
  });

  it('are new again once retention pruned the first copy (its runs go with its batch)', async () => {
    const { compact, n } = await both();
    const { app, store } = server();
    await post(app, JSON.stringify(compact));
    expect(store.prune(Date.now() + 60_000)).toBe(n);
    expect(data(await post(app, JSON.stringify(compact)))).toMatchObject({ inserted: n, duplicates: 0 });
    expect(store.counts().events).toBe(n);
  });

  it('refuses a sequence number used twice in one batch', async () => {
    const { compact, n } = await both();
    const twice = structuredClone(compact);
    twice.events.push(structuredClone(twice.events[2]!));
    const { app, store } = server();
    const res = data(await post(app, JSON.stringify(twice)));
    expect(res).toMatchObject({ inserted: n, rejected: 1 });
    expect(res.errors).toEqual([{ index: n, reason: expect.stringMatching(/sequence number of an earlier event/) }]);
    expect(store.counts().events).toBe(n);
  });
});
