import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CompactBatch, CompactRunsBatch, CompactVersion } from '@raceway/protocol';
import { COMPACT_FORMATS, decodeCompactBatch, eventsOfRuns } from '@raceway/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { RacewayClient } from '../src/index.js';
import { BatchEncoder } from '../src/export/batch-body.js';
import type { EventRecord } from '../src/record/event-record.js';
import { fieldsOf } from '../src/record/event-record.js';
import { Redactor } from '../src/export/wire-event.js';
import { RecordRing } from '../src/export/record-ring.js';

/** Records of a workload that touches every kind of event the SDK sends, in one in-memory client. */
async function workload(): Promise<{ client: RacewayClient; records: EventRecord[] }> {
  const client = RacewayClient.inMemory({ serviceName: 'compact', redact: ['secret*'] });
  const odd = 'a "quoted" \\ name\u2028é\u0000';
  const proto = JSON.parse('{"__proto__":{"x":1},"own":true}') as object;
  await client.startTrace('first', async () => {
    client.trackStateChange('accounts.alice.balance', 100, 90, 'Write', 'src/a.ts:1:1');
    client.trackStateChange('requests', 7, 7, 'Read', 'src/a.ts:2:1');
    client.trackStateChange(odd, 'x"y', undefined, 'Write', `src/${odd}.ts:3:1`);
    client.trackStateChange('cfg', proto, proto, 'Read', 'src/a.ts:4:1');
    client.trackStateChange('secretToken', 'abc', 'def', 'Write', 'src/a.ts:5:1');
    client.trackStateChange('big', 10n, Symbol('s'), 'AtomicRMW', 'src/a.ts:6:1');
    client.trackStateChange('list', [1, [2, { three: 3 }]], null, 'Write', 'src/a.ts:7:1');
    client.trackStateChange('nothing', undefined, undefined, 'Read', '');
    client.trackFunctionCall('charge', { amount: 5 }, 'src/a.ts:8:1');
    await client.withLock('account:alice', async () => {
      client.trackStateChange('accounts.alice.balance', 90, 80, 'Write', 'src/a.ts:9:1');
    });
    // Two traced calls at once: tasks, forks, joins, clocks of several components.
    await Promise.all([
      client.trackFunction('left', [1], async () => {
        client.trackStateChange('shared', 1, 2, 'Write', 'src/a.ts:10:1');
        await new Promise((r) => setTimeout(r, 1));
        client.trackStateChange('shared', 2, 3, 'Write', 'src/a.ts:11:1');
      }),
      client.trackFunction('right', [2], async () => {
        client.trackStateChange('shared', 2, 2, 'Read', 'src/a.ts:12:1');
      }),
    ]);
    client.trackFunctionSync('boom', [], () => 1);
    client.trackHttpResponse(201, 3);
  });
  await client.startTrace('second', async () => {
    client.trackStateChange('accounts.alice.balance', 80, 70, 'Write', 'src/a.ts:1:1');
  });
  const records = (client as unknown as { memory: { records: EventRecord[] } }).memory.records;
  return { client, records };
}

/** The identity an in-memory client's standard events were made with. */
type Identity = { serviceName: string; environment: string; instanceId: string; module: string };

/** A compact body as parsed JSON. */
const parsed = (body: Buffer) => JSON.parse(body.toString('utf8')) as CompactBatch | CompactRunsBatch;

describe.each([1, 2] as CompactVersion[])('the compact batch, version %i', (version) => {
  it('decodes to exactly the standard events of the same records', async () => {
    const { client, records } = await workload();
    const standard = client.memoryEvents();
    const kinds = new Set(standard.map((e) => Object.keys(e.kind as object)[0]));
    expect([...kinds].sort()).toEqual(
      ['Custom', 'FunctionCall', 'HttpResponse', 'LockAcquire', 'LockRelease', 'StateChange'].sort(),
    );
    // The identity the in-memory client used for its standard events.
    const own = (client as unknown as { identity: Identity }).identity;
    const { bodies, unencodable } = new BatchEncoder(own, new Redactor([/^secret.*$/])).encode(records, version);
    expect(unencodable).toBe(0);
    expect(bodies.map((b) => b.format)).toEqual(['compact']);
    const batch = parsed(bodies[0]!.body);
    expect(batch.raceway_batch).toBe(version);
    expect(decodeCompactBatch(batch)).toEqual(standard);
    // And smaller: the point of it.
    const standardBytes = new BatchEncoder(own, new Redactor([/^secret.*$/])).encode(records, undefined).bodies[0]!.body
      .length;
    expect(bodies[0]!.body.length).toBeLessThan(standardBytes / 2);
  });

  it('splits in halves that decode to the same events, and re-encodes as standard', async () => {
    const { client, records } = await workload();
    const own = (client as unknown as { identity: Identity }).identity;
    const encoder = new BatchEncoder(own, new Redactor([/^secret.*$/]));
    const [body] = encoder.encode(records, version).bodies;
    const halves = encoder.split(body!)!;
    expect(halves.map((h) => h.count)).toEqual([Math.ceil(records.length / 2), Math.floor(records.length / 2)]);
    // Halves go as version 1 batches with the whole tables: every server that reads version 2 reads 1.
    expect(halves.map((h) => parsed(h.body).raceway_batch)).toEqual([1, 1]);
    const decoded = halves.flatMap((h) => decodeCompactBatch(parsed(h.body)));
    expect(decoded).toEqual(client.memoryEvents());
    const standard = encoder.asStandard(body!);
    expect(standard.map((b) => b.format)).toEqual(['standard']);
    expect((JSON.parse(standard[0]!.body.toString()) as { events: unknown[] }).events).toEqual(client.memoryEvents());
  });
});

describe('encoding from the queue in place', () => {
  it('gives the same bodies as the same records as objects, wherever the queue wraps', async () => {
    const { client, records } = await workload();
    const own = (client as unknown as { identity: Identity }).identity;
    const encoder = new BatchEncoder(own, new Redactor([/^secret.*$/]));
    for (const offset of [0, 5, 250]) {
      // A queue of 256 slots whose oldest record sits at `offset`: the window wraps past its end.
      const ring = new RecordRing(256);
      for (let i = 0; i < 256; i++) ring.push(...fieldsOf(records[i % records.length]!));
      ring.drop(256);
      for (let i = 0; i < offset; i++) ring.push(...fieldsOf(records[0]!));
      ring.drop(offset);
      for (const r of records) ring.push(...fieldsOf(r));
      for (const version of [1, 2] as CompactVersion[]) {
        const fromQueue = encoder.encode(ring.window(records.length), version).bodies;
        const fromObjects = encoder.encode(records, version).bodies;
        expect(
          fromQueue.map((b) => b.body.toString()),
          `offset ${offset}`,
        ).toEqual(fromObjects.map((b) => b.body.toString()));
        // Halves of a window, as the encoder takes them when a body is over the size limit.
        const half = Math.ceil(records.length / 2);
        const window = ring.window(records.length);
        const halves = [window.slice(0, half), window.slice(half, records.length)].map((part) =>
          encoder.encode(part, version).bodies[0]!.body.toString(),
        );
        expect(halves).toEqual(
          [records.slice(0, half), records.slice(half)].map((part) =>
            encoder.encode(part, version).bodies[0]!.body.toString(),
          ),
        );
      }
      expect(ring.size).toBe(records.length);
    }
  });
});

describe('the runs of a version 2 batch', () => {
  it('hold what a task recorded back to back, and break where a shared field changes', async () => {
    const client = RacewayClient.inMemory({ serviceName: 'runs' });
    let balance = 100;
    const handler = () => {
      for (let i = 0; i < 5; i++) {
        client.trackStateChange('balance', balance, balance, 'Read', 'src/a.ts:1:1');
        client.trackStateChange('balance', balance, --balance, 'Write', 'src/a.ts:1:1');
      }
    };
    // Two requests without an await: one run each. Then one with an await between two accesses: the
    // access after it starts a run of its own (a new segment), and so does a lock's inside.
    await client.startTrace('a', async () => handler());
    await client.startTrace('b', async () => handler());
    await client.startTrace('c', async () => {
      client.trackStateChange('balance', balance, balance, 'Read', 'src/a.ts:2:1');
      await new Promise((r) => setTimeout(r, 1));
      client.trackStateChange('balance', balance, --balance, 'Write', 'src/a.ts:3:1');
      await client.withLock('account', async () => {
        client.trackStateChange('balance', balance, --balance, 'Write', 'src/a.ts:4:1');
      });
    });
    // Without an await, the run still breaks where the lock set or the clock changes: a lock taken and
    // given back, a timer forked between two accesses.
    await client.startTrace('d', async () => {
      client.trackStateChange('balance', balance, balance, 'Read', 'src/a.ts:5:1');
      client.trackLockAcquire('ledger');
      client.trackStateChange('balance', balance, --balance, 'Write', 'src/a.ts:6:1');
      client.trackLockRelease('ledger');
      client.trackStateChange('balance', balance, balance, 'Read', 'src/a.ts:7:1');
      setTimeout(() => undefined, 0);
      client.trackStateChange('balance', balance, balance, 'Read', 'src/a.ts:8:1');
    });
    const records = (client as unknown as { memory: { records: EventRecord[] } }).memory.records;
    const own = (client as unknown as { identity: Identity }).identity;
    const batch = parsed(
      new BatchEncoder(own, new Redactor([])).encode(records, 2).bodies[0]!.body,
    ) as CompactRunsBatch;
    const sizes = batch.runs.map((run) => eventsOfRuns([run]).length);
    // Each: the traced call startTrace records, then the ten accesses.
    expect(sizes.slice(0, 2)).toEqual([11, 11]);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(records.length);
    // Every run's events really share the run's fields: decoded, they equal the standard events.
    expect(decodeCompactBatch(batch)).toEqual(client.memoryEvents());
    // Trace d's run broke at the lock, at its release and at the timer: three runs at least.
    const d = client.memoryEvents().at(-1)!.trace_id;
    const traceOf = (run: (typeof batch.runs)[number]) => batch.traces[batch.tasks[run[1]]![4]]![0];
    expect(batch.runs.filter((run) => traceOf(run) === d).length).toBeGreaterThanOrEqual(3);
  });
});

/** A collector that records each body's form and answers as told. */
class Collector {
  /** Each body's form (0: standard, else the compact version) and how many events it carried. */
  readonly bodies: Array<{ compact: number; events: number }> = [];
  /** The formats header it sends back (undefined: none, like other collectors). */
  formats: string | undefined = COMPACT_FORMATS;
  /** The formats header it sends back after `advertiseFor` replies. */
  laterFormats: string | undefined;
  /** Refuse compact bodies with this status. */
  refuseCompact: number | undefined;
  /** Says it reads compact batches on this many replies, then no more (another collector took its place). */
  advertiseFor = Infinity;
  /** Answers 413 to a compact body of more events than this. */
  tooLargeOver = Infinity;
  /** The events of the compact bodies it accepted after the first, decoded. */
  readonly received: Array<Record<string, any>> = [];
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { events?: unknown[] } & Partial<
        CompactBatch | CompactRunsBatch
      >;
      const compact = body.raceway_batch ?? 0;
      if (compact && this.refuseCompact) {
        res.writeHead(this.refuseCompact).end('{"success":false}');
        return;
      }
      const runs = (body as Partial<CompactRunsBatch>).runs;
      const count = compact === 2 ? eventsOfRuns(runs).length : body.events!.length;
      if (compact && count > this.tooLargeOver) {
        res.writeHead(413).end('{"success":false}');
        return;
      }
      if (compact) this.received.push(...(decodeCompactBatch(body as CompactBatch) as Array<Record<string, any>>));
      this.bodies.push({ compact, events: count });
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      const formats = this.bodies.length <= this.advertiseFor ? this.formats : this.laterFormats;
      if (formats) headers['x-raceway-batch-formats'] = formats;
      res.writeHead(200, headers).end('{"success":true,"data":null,"error":null}');
    });
  });
  async start(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  close(): void {
    this.server.close();
  }
}

describe('choosing the batch form', () => {
  const open: Array<{ close(): void }> = [];
  afterEach(() => {
    for (const o of open.splice(0)) o.close();
  });

  async function send(collector: Collector, options: { compactBatches?: boolean } = {}, rounds = 3) {
    const endpoint = await collector.start();
    open.push(collector);
    const client = new RacewayClient({ serviceName: 'forms', endpoint, ...options });
    for (let round = 0; round < rounds; round++) {
      await client.startTrace(`round ${round}`, async () => {
        client.trackStateChange('x', round, round + 1, 'Write', 'src/a.ts:1:1');
      });
      await client.flush();
    }
    await client.shutdown();
    return client.stats();
  }

  it('sends standard events first, then compact batches once the collector says it reads them', async () => {
    const collector = new Collector();
    const stats = await send(collector);
    expect(collector.bodies.map((b) => b.compact)).toEqual([0, 2, 2]);
    const received = collector.bodies.reduce((n, b) => n + b.events, 0);
    expect(stats).toMatchObject({ sent: received, dropped: 0, queued: 0 });
  });

  it('sends the newest compact version the collector names', async () => {
    for (const [formats, sent] of [
      ['compact-1', 1],
      ['Compact-2', 2],
      ['compact-1,compact-2', 2],
      ['columnar, compact-1 ', 1],
    ] as const) {
      const collector = new Collector();
      collector.formats = formats;
      await send(collector);
      expect(collector.bodies.map((b) => b.compact)).toEqual([0, sent, sent]);
    }
  });

  it('keeps standard events for a collector that does not say so, or names other forms only', async () => {
    const silent = new Collector();
    silent.formats = undefined;
    await send(silent);
    expect(silent.bodies.map((b) => b.compact)).toEqual([0, 0, 0]);
    const other = new Collector();
    other.formats = 'compact-3, columnar, compact-20';
    await send(other);
    expect(other.bodies.map((b) => b.compact)).toEqual([0, 0, 0]);
  });

  it('never sends compact batches with compactBatches: false', async () => {
    const collector = new Collector();
    await send(collector, { compactBatches: false });
    expect(collector.bodies.map((b) => b.compact)).toEqual([0, 0, 0]);
  });

  it('splits a compact batch the collector finds too large into halves that carry every event', async () => {
    const collector = new Collector();
    collector.tooLargeOver = 8;
    const endpoint = await collector.start();
    open.push(collector);
    const client = new RacewayClient({ serviceName: 'forms', endpoint });
    await client.startTrace('warm-up', async () => client.trackStateChange('x', 0, 1, 'Write', 'src/a.ts:1:1'));
    await client.flush();
    await client.startTrace('many', async () => {
      for (let i = 0; i < 20; i++) client.trackStateChange('x', i, i + 1, 'Write', 'src/a.ts:2:1');
    });
    await client.shutdown();
    // The 21-event version 2 body is refused; its halves (version 1), and theirs, until each fits.
    const compact = collector.bodies.filter((b) => b.compact);
    expect(compact.every((b) => b.compact === 1 && b.events <= 8)).toBe(true);
    expect(compact.reduce((n, b) => n + b.events, 0)).toBe(21);
    expect(collector.received.map((e) => e.kind.StateChange?.new_value ?? 'call')).toEqual([
      'call',
      ...Array.from({ length: 20 }, (_, i) => i + 1),
    ]);
    expect(client.stats()).toMatchObject({ dropped: 0, queued: 0 });
  });

  it('sends the same events as standard when a compact batch is not understood, and stays standard', async () => {
    const collector = new Collector();
    collector.refuseCompact = 415;
    const stats = await send(collector, {}, 4);
    // round 1's compact body is refused, sent again as standard; later rounds stay standard.
    expect(collector.bodies.map((b) => b.compact)).toEqual([0, 0, 0, 0]);
    const received = collector.bodies.reduce((n, b) => n + b.events, 0);
    expect(received).toBeGreaterThanOrEqual(4);
    expect(stats).toMatchObject({ sent: received, dropped: 0, queued: 0 });
  });

  it('sends the same events again as standard when a collector acknowledges a compact batch without reading it', async () => {
    const collector = new Collector();
    collector.advertiseFor = 1; // then it answers 200 to anything, and says nothing of compact batches
    const stats = await send(collector, {}, 4);
    // round 1 goes compact, is acknowledged without the header, and is sent again as standard.
    expect(collector.bodies.map((b) => b.compact)).toEqual([0, 2, 0, 0, 0]);
    const standard = collector.bodies.filter((b) => !b.compact).reduce((n, b) => n + b.events, 0);
    expect(stats).toMatchObject({ sent: standard, dropped: 0, queued: 0 });
  });

  it('sends the same events again as standard when a compact batch is acknowledged by a collector that reads only an older version', async () => {
    const collector = new Collector();
    collector.advertiseFor = 1;
    collector.laterFormats = 'compact-1';
    const stats = await send(collector, {}, 4);
    // round 1 goes in version 2; the acknowledgement names version 1 only: sent again as standard; later
    // rounds go in version 1 once the collector's word is taken again (ten minutes later: not here).
    expect(collector.bodies.map((b) => b.compact)).toEqual([0, 2, 0, 0, 0]);
    const standard = collector.bodies.filter((b) => !b.compact).reduce((n, b) => n + b.events, 0);
    expect(stats).toMatchObject({ sent: standard, dropped: 0, queued: 0 });
  });
});
