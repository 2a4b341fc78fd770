// Several `raceway serve` processes on one PostgreSQL database, as a team runs them behind a load balancer.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { lostUpdate, threadEvent } from './helpers/events.js';
import { freshSchema, POSTGRES_URL, query, sayPostgresSkipped } from './helpers/postgres.js';
import { cli, logLines, serve } from './helpers/serve.js';
import type { Served } from './helpers/serve.js';

if (!POSTGRES_URL) sayPostgresSkipped();

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function instances(url: string, count: number, extra: string[] = []): Promise<Served[]> {
  const started = await Promise.all(Array.from({ length: count }, () => serve(['--store', url, ...extra])));
  for (const s of started) cleanups.push(() => s.stop());
  return started;
}

async function post(base: string, events: unknown[]): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${base}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ events }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const get = async (base: string, path: string) => (await (await fetch(`${base}${path}`)).json()) as { data: any };

async function until(check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A TCP relay to PostgreSQL that can be cut and restored: the database "goes away" for one server only. */
async function relay(target: { host: string; port: number }) {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve) => {
      server = net.createServer((client) => {
        const upstream = net.connect(target.port, target.host);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => s.destroy());
        }
        client.pipe(upstream).pipe(client);
      });
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as net.AddressInfo).port;
        resolve();
      });
    });
  await listen();
  return {
    get port() {
      return port;
    },
    async cut() {
      const closed = new Promise<void>((resolve) => server!.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
    restore: listen,
  };
}

describe.skipIf(!POSTGRES_URL)('several raceway serve instances on one PostgreSQL database', () => {
  it('ingest on any, the same races and traces from every instance', async () => {
    const schema = freshSchema();
    cleanups.push(() => schema.drop());
    // Started together: the layout is created once (the migration lock), whoever comes first.
    const [a, b, c] = await instances(schema.url, 3);
    const [read, other, write] = lostUpdate('balance', 'src/bank.ts:10:5', 'src/bank.ts:20:5', 'src/bank.ts:12:5');
    // The halves of one race arrive at two different instances.
    expect((await post(a!.url, [read, write])).status).toBe(200);
    expect((await post(b!.url, [other])).status).toBe(200);
    const fromC = await get(c!.url, '/api/races');
    expect(fromC.data.races).toHaveLength(1);
    expect(fromC.data.races[0]).toMatchObject({ variable: 'balance' });
    const locations = JSON.stringify(fromC.data.races[0]);
    for (const at of ['src/bank.ts:10:5', 'src/bank.ts:20:5', 'src/bank.ts:12:5']) expect(locations).toContain(at);
    for (const s of [a!, b!]) expect((await get(s.url, '/api/races')).data).toEqual(fromC.data);
    const trace = (read as { trace_id: string }).trace_id;
    const detail = await get(c!.url, `/api/traces/${trace}`);
    expect(detail.data.events).toHaveLength(3);
    for (const s of [a!, b!]) expect((await get(s.url, `/api/traces/${trace}`)).data).toEqual(detail.data);
    expect((await get(a!.url, '/api/traces')).data.total).toBe(1);
    expect((await get(b!.url, '/api/services')).data.services).toEqual([{ name: 'py-svc', events: 3, traces: 1 }]);
    // A retry at another instance is acknowledged and stored once.
    const again = await post(c!.url, [read]);
    expect(again.body.data).toMatchObject({ accepted: 1, inserted: 0, duplicates: 1 });
    // New events reach every instance's analysis.
    const second = lostUpdate('stock', 'src/shop.ts:1:1', 'src/shop.ts:2:1', 'src/shop.ts:3:1');
    expect((await post(b!.url, second)).status).toBe(200);
    for (const s of [a!, b!, c!]) expect((await get(s.url, '/api/races')).data.races).toHaveLength(2);
  });

  it('loses no acknowledged event when an instance is killed with SIGKILL mid-ingest', async () => {
    const schema = freshSchema();
    cleanups.push(() => schema.drop());
    const [victim, witness] = await instances(schema.url, 2);
    const acknowledged: string[] = [];
    const trace = randomUUID();
    let stop = false;
    const senders = Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; !stop; i++) {
        const events = Array.from({ length: 200 }, (_, k) =>
          threadEvent(trace, `T${w}`, (i + k) % 60, 'Write', `v${k % 5}`, `src/a.ts:${k}:1`, i),
        );
        try {
          const res = await post(victim!.url, events);
          if (res.status === 200) acknowledged.push(...events.map((e) => e.id as string));
        } catch {
          return; // the instance is gone: this request was never acknowledged
        }
      }
    });
    await until(async () => acknowledged.length >= 4000);
    victim!.child.kill('SIGKILL');
    stop = true;
    await Promise.all(senders);
    const stored = await query<{ n: string }>(`SELECT count(*) AS n FROM ${schema.schema}.events WHERE id = ANY($1)`, [
      acknowledged,
    ]);
    expect(Number(stored[0]!.n)).toBe(acknowledged.length);
    // The other instance serves the same store on, and counts what the killed one committed.
    const { stats } = (await get(witness!.url, '/api/races')).data;
    expect(stats.events).toBeGreaterThanOrEqual(acknowledged.length);
  });

  it('answers 503 while its database is unreachable and recovers by itself when it returns', async () => {
    const schema = freshSchema();
    cleanups.push(() => schema.drop());
    const database = new URL(POSTGRES_URL!);
    const link = await relay({ host: database.hostname, port: Number(database.port || 5432) });
    cleanups.push(() => link.cut());
    const viaRelay = new URL(schema.url);
    viaRelay.hostname = '127.0.0.1';
    viaRelay.port = String(link.port);
    const [server] = await instances(viaRelay.toString(), 1);
    const event = () => lostUpdate('x', 'a.ts:1:1', 'a.ts:2:1', 'a.ts:3:1');
    expect((await post(server!.url, event())).status).toBe(200);
    await link.cut();
    const refused = await post(server!.url, event());
    expect(refused.status).toBe(503);
    expect(refused.body.code).toBe('RW_STORAGE_UNAVAILABLE');
    expect((await fetch(`${server!.url}/health`)).status).toBe(503);
    expect((await fetch(`${server!.url}/api/traces`)).status).toBe(503);
    expect((await fetch(`${server!.url}/api/races`)).status).toBe(503);
    await link.restore();
    await until(async () => (await fetch(`${server!.url}/health`)).status === 200);
    expect((await post(server!.url, event())).status).toBe(200);
    expect((await get(server!.url, '/api/traces')).data.total).toBe(2);
    const logs = logLines(server!.stderr()).map((l) => String(l.msg));
    expect(logs.some((m) => m.startsWith('storage fault'))).toBe(true);
    expect(logs.some((m) => m.startsWith('storage recovered'))).toBe(true);
  });

  it('refuses a database written by a newer server, and a retention shorter than a day', async () => {
    const schema = freshSchema();
    cleanups.push(() => schema.drop());
    const [first] = await instances(schema.url, 1);
    await first!.stop();
    await query(`UPDATE ${schema.schema}.raceway_schema SET version = 99`);
    const newer = spawnSync(process.execPath, [cli, 'serve', '--port', '0', '--store', schema.url], {
      encoding: 'utf8',
      timeout: 15_000,
    });
    expect(newer.status).toBe(2);
    expect(newer.stderr).toMatch(/newer Raceway server \(store layout 99, this server reads 1\)/);
    expect(newer.stderr).not.toMatch(/at .*\.js:\d+/); // a message, not a stack
    const short = spawnSync(process.execPath, [cli, 'serve', '--port', '0', '--retain', '12h'], {
      encoding: 'utf8',
      timeout: 15_000,
      env: { ...process.env, RACEWAY_DATABASE_URL: schema.url },
    });
    expect(short.status).toBe(2);
    expect(short.stderr).toMatch(/--retain with PostgreSQL keeps whole days/);
  });
});
