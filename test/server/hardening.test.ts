import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp, ErrorCatalogue, SqliteStore, startServer } from '@raceway/server';
import { lostUpdate } from './helpers/events.js';
import { cli, logLines, serve } from './helpers/serve.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = path.join(repo, 'test-output', 'server-hardening');
const uiDir = path.join(repo, 'server', 'ui-dist');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const json = { 'content-type': 'application/json' };
/** The CLI as a child process, without blocking this process (which may be the server it talks to). */
const runCli = (args: string[], cwd = repo) =>
  promisify(execFile)(process.execPath, [cli, ...args], { cwd, encoding: 'utf8' }).then(
    ({ stdout, stderr }) => ({ status: 0, stdout, stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({
      status: error.code ?? 1,
      stdout: error.stdout ?? '',
      stderr: error.stderr ?? '',
    }),
  );
const stores: SqliteStore[] = [];
afterAll(() => {
  for (const s of stores.splice(0)) s.close();
});

function app(options: Partial<Parameters<typeof buildApp>[0]> = {}) {
  const store = new SqliteStore(':memory:');
  stores.push(store);
  return { store, app: buildApp({ store, ...options }).app };
}

/** A project folder with source, secrets and links that point out of it. */
function project(): string {
  const root = path.join(out, `project-${randomUUID().slice(0, 8)}`);
  mkdirSync(path.join(root, 'src'), { recursive: true });
  mkdirSync(path.join(root, '.git'), { recursive: true });
  writeFileSync(
    path.join(root, 'src', 'bank.ts'),
    ['// bank', 'let balance = 100;', 'export function take(n: number) {', '  balance -= n;', '}'].join('\n'),
  );
  writeFileSync(path.join(root, '.env'), 'A=1\nDATABASE_PASSWORD=hunter2\n');
  writeFileSync(path.join(root, '.git', 'config.ts'), 'const token = "git-secret";\n');
  writeFileSync(path.join(root, 'notes.txt'), 'private notes\n');
  symlinkSync('/etc/passwd', path.join(root, 'src', 'passwd.ts'));
  symlinkSync(path.join(root, '.env'), path.join(root, 'src', 'env.ts'));
  return root;
}

const leaks = [
  '.env:2:1',
  'src/passwd.ts:1:1',
  'src/env.ts:2:1',
  '/etc/passwd:1:1',
  '../../../etc/passwd:1:1',
  'notes.txt:1:1',
  '.git/config.ts:1:1',
  `${'../'.repeat(12)}etc/hostname.ts:1:1`,
];

describe('source shown next to races', () => {
  it('comes only from source files inside the root: no dotfiles, no links out, no other extensions', async () => {
    const root = project();
    const { app: a } = app({ sourceRoot: root });
    const events = [
      ...lostUpdate('balance', 'src/bank.ts:4:3', 'src/bank.ts:2:1', 'src/bank.ts:4:3'),
      ...leaks.flatMap((l, i) => lostUpdate(`leak${i}`, l, l, l)),
    ];
    expect(
      (await a.inject({ method: 'POST', url: '/events', headers: json, payload: { events } })).json().data.inserted,
    ).toBe(events.length);
    const races = (await a.inject({ url: '/api/races' })).json().data.races as Array<{
      variable: string;
      accesses: Array<{ location: string; source?: Array<{ text: string }> }>;
    }>;
    const bank = races.find((r) => r.variable === 'balance')!;
    expect(bank.accesses[0]!.source!.map((l) => l.text)).toContain('  balance -= n;');
    const leaked = races.filter((r) => r.variable.startsWith('leak'));
    expect(leaked).toHaveLength(leaks.length);
    for (const race of leaked)
      for (const access of race.accesses) expect(access.source, access.location).toBeUndefined();
    const body = (await a.inject({ url: '/api/races' })).body;
    for (const secret of ['hunter2', 'root:x:0:0', 'git-secret', 'private notes']) expect(body).not.toContain(secret);
    await a.close();
  });

  it('follows the same rule in `raceway races`, and prints text from events without control sequences', async () => {
    const root = project();
    const server = await startServer({ host: '127.0.0.1', port: 0, db: ':memory:', apiKeys: [], logLevel: 'silent' });
    try {
      const hostile = 'evil\x1b]0;pwned\x07\x1b[2J\u202e';
      const events = [
        ...lostUpdate('balance', 'src/bank.ts:4:3', 'src/bank.ts:2:1', 'src/bank.ts:4:3', {
          note: 'value\x1b[31mred\x9b',
        }),
        ...leaks.flatMap((l, i) => lostUpdate(`leak${i}`, l, l, l)),
        ...lostUpdate(hostile, `src/${hostile}.ts:1:1`, 'src/bank.ts:1:1', 'src/bank.ts:1:1'),
      ];
      await fetch(`${server.url}/events`, { method: 'POST', headers: json, body: JSON.stringify({ events }) });
      for (const format of [[], ['--json']]) {
        const result = await runCli(['races', '--endpoint', server.url, ...format], root);
        expect(result.status, result.stderr).toBe(0);
        if (format.length === 0) expect(result.stdout).toContain('balance -= n;');
        for (const secret of ['hunter2', 'root:x:0:0', 'git-secret', 'private notes'])
          expect(result.stdout).not.toContain(secret);
        // eslint-disable-next-line no-control-regex -- no control character may reach the terminal
        expect(result.stdout).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]/);
        expect(result.stdout).toContain(format.length ? '\\u001b]0;pwned\\u0007' : 'evil\\u001b]0;pwned\\u0007');
      }
    } finally {
      await server.close();
    }
  });
});

describe('requests from browsers and other sites', () => {
  const event = () => lostUpdate('x', 'a.ts:1:1', 'a.ts:2:1', 'a.ts:3:1')[0]!;

  it('accepts only application/json on /events (415 otherwise, before reading the body)', async () => {
    const { app: a, store } = app();
    for (const headers of [
      { 'content-type': 'text/plain' },
      { 'content-type': 'application/x-www-form-urlencoded' },
      { 'content-type': 'multipart/form-data; boundary=x' },
      {},
    ]) {
      const res = await a.inject({
        method: 'POST',
        url: '/events',
        headers,
        payload: JSON.stringify({ events: [event()] }),
      });
      expect(res.statusCode).toBe(415);
      expect(res.json()).toMatchObject({ success: false, code: 'RW_UNSUPPORTED_MEDIA_TYPE', statusCode: 415 });
    }
    expect(
      (
        await a.inject({
          method: 'POST',
          url: '/events',
          headers: { 'content-type': 'application/json; charset=utf-8' },
          payload: { events: [event()] },
        })
      ).statusCode,
    ).toBe(200);
    expect(store.counts().events).toBe(1);
    await a.close();
  });

  it('refuses cross-site browser requests to the API; SDKs, curl and the UI itself pass', async () => {
    const { app: a, store } = app({ uiDir });
    const post = (headers: Record<string, string>) =>
      a.inject({
        method: 'POST',
        url: '/events',
        headers: { ...json, host: '127.0.0.1:8080', ...headers },
        payload: { events: [event()] },
      });
    for (const headers of [
      { origin: 'http://evil.example' },
      { origin: 'null' },
      { origin: 'http://127.0.0.1:3000' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
    ] as Array<Record<string, string>>) {
      const res = await post(headers);
      expect(res.statusCode, JSON.stringify(headers)).toBe(403);
      expect(res.json().code).toBe('RW_CROSS_SITE');
    }
    expect((await a.inject({ url: '/api/races', headers: { origin: 'http://evil.example' } })).statusCode).toBe(403);
    expect(store.counts().events).toBe(0);
    expect((await post({})).statusCode).toBe(200);
    expect((await post({ origin: 'http://127.0.0.1:8080', 'sec-fetch-site': 'same-origin' })).statusCode).toBe(200);
    // A link from another site still opens the UI.
    expect((await a.inject({ url: '/', headers: { 'sec-fetch-site': 'cross-site' } })).statusCode).toBe(200);
    await a.close();
  });

  it('on loopback, refuses a Host that is not a loopback name (DNS rebinding)', async () => {
    const { app: a } = app({ loopbackOnly: true });
    expect((await a.inject({ url: '/api/races', headers: { host: 'rebind.evil.example:8080' } })).statusCode).toBe(403);
    for (const host of ['localhost:8080', '127.0.0.1:9', '[::1]:8080', 'LOCALHOST'])
      expect((await a.inject({ url: '/api/races', headers: { host } })).statusCode, host).toBe(200);
    await a.close();
  });

  it('sends a Content Security Policy, X-Frame-Options and nosniff with the UI and the API', async () => {
    const { app: a } = app({ uiDir });
    for (const url of ['/', '/api/races', '/health']) {
      const res = await a.inject({ url });
      expect(res.headers['content-security-policy']).toMatch(/default-src 'self'.*frame-ancestors 'none'/);
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
    await a.close();
  });

  it('accepts the bearer scheme in any case, and closes the connection after a 401 or 413', async () => {
    const { app: a } = app({ apiKeys: ['k1'] });
    for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR'])
      expect(
        (await a.inject({ url: '/api/races', headers: { authorization: `${scheme} k1` } })).statusCode,
        scheme,
      ).toBe(200);
    const denied = await a.inject({ url: '/api/races', headers: { authorization: 'Bearer nope' } });
    expect(denied.statusCode).toBe(401);
    expect(denied.headers.connection).toBe('close');
    const big = await a.inject({
      method: 'POST',
      url: '/events',
      headers: { ...json, authorization: 'Bearer k1' },
      payload: `{"events":[],"pad":"${'x'.repeat(9 * 1024 * 1024)}"}`,
    });
    expect(big.statusCode).toBe(413);
    expect(big.headers.connection).toBe('close');
    await a.close();
  });
});

describe('validation', () => {
  const base = () => lostUpdate('x', 'a.ts:1:1', 'a.ts:2:1', 'a.ts:3:1')[0]! as Record<string, any>;

  it('refuses non-finite numbers, timestamps that are not RFC 3339, and names over the documented limits, one event at a time', async () => {
    const { app: a, store } = app();
    const ours = { ...base(), raceway: { v: 1, seq: 1, task: 't', unit: 'u', process: 'p', segment: 1, time_us: 1 } };
    const bad: Array<[string, string]> = [
      ['{"HttpResponse":{"status":200,"headers":{},"body":null,"duration_ms":1e999}}', 'kind'],
      ['{"DatabaseQuery":{"query":"select 1","duration_ms":-1e999}}', 'kind'],
    ];
    const events: unknown[] = [
      ...bad.map(([kind]) => ({
        ...base(),
        kind: JSON.parse(kind.replace('1e999', '1e308').replace('-1e308', '-1e308')),
      })), // placeholders, replaced in the text below
      { ...ours, raceway: { ...ours.raceway, time_us: 'INF' } },
      ...[
        '0000000001',
        'Tue, 1 Dec 2026',
        '+275760-09-13T00:00:00.000Z',
        '2026-02-30T10:00:00Z',
        '2026-11-30T25:00:00Z',
        '2026-11-30',
        '2026-11-30T10:00:00',
      ].map((timestamp) => ({ ...base(), timestamp })),
      { ...base(), kind: { StateChange: { ...base().kind.StateChange, variable: 'v'.repeat(1025) } } },
      { ...base(), metadata: { ...base().metadata, service_name: 's'.repeat(257) } },
      { ...base(), kind: { StateChange: { ...base().kind.StateChange, location: 'l'.repeat(2049) } } },
      { ...base(), metadata: { ...base().metadata, thread_id: 't'.repeat(257) } },
    ];
    let text = JSON.stringify({ events: [base(), ...events, base()] });
    text = text
      .replace('"duration_ms":1e+308', '"duration_ms":1e999')
      .replace('"duration_ms":-1e+308', '"duration_ms":-1e999')
      .replace('"time_us":"INF"', '"time_us":1e999');
    expect(text).toContain('1e999');
    const res = await a.inject({ method: 'POST', url: '/events', headers: json, payload: text });
    const data = res.json().data;
    expect(data.rejected).toBe(events.length);
    expect(data.errors.map((e: { index: number }) => e.index)).toEqual(events.map((_, i) => i + 1));
    expect(data.errors.find((e: { index: number }) => e.index === 4).reason).toMatch(/timestamp.*RFC 3339/);
    expect(store.counts().events).toBe(2);
    // Every SDK's own timestamp form still passes.
    const forms = [
      '2026-11-30T02:49:47.067133+00:00',
      '2026-11-30T02:49:47.123456789Z',
      '2026-11-30T02:49:47.3Z',
      '2026-11-30T02:49:47Z',
      '2026-11-30T04:49:47.067+02:00',
    ];
    const ok = await a.inject({
      method: 'POST',
      url: '/events',
      headers: json,
      payload: { events: forms.map((timestamp) => ({ ...base(), timestamp })) },
    });
    expect(ok.json().data).toMatchObject({ inserted: forms.length, rejected: 0 });
    await a.close();
  });

  it('refuses an id reused by a different event, by index, and keeps treating true repeats as duplicates', async () => {
    const { app: a, store } = app();
    const first = base();
    const post = (events: unknown[]) =>
      a.inject({ method: 'POST', url: '/events', headers: json, payload: { events } }).then((r) => r.json());
    expect((await post([first])).data).toMatchObject({ inserted: 1 });
    const otherTrace = { ...first, trace_id: randomUUID() };
    const otherTime = { ...first, timestamp: '2026-11-26T11:00:00.000000+00:00' };
    const reply = await post([base(), otherTrace, first, otherTime]);
    expect(reply.data).toMatchObject({ accepted: 2, inserted: 1, duplicates: 1, rejected: 2 });
    expect(reply.data.errors).toEqual([
      { index: 1, reason: expect.stringMatching(/already used by another event \(different trace_id\)/) },
      { index: 3, reason: expect.stringMatching(/different timestamp/) },
    ]);
    expect(store.traceEvents(otherTrace.trace_id as string)).toHaveLength(0);
    expect(store.counts().events).toBe(2);
    await a.close();
  });

  it("answers malformed URLs and unknown routes in the catalogue's format", async () => {
    const { app: a } = app();
    const bad = await a.inject({ url: '/api/traces/%E0%A4%A' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ success: false, code: 'RW_BAD_URL' });
    expect((await a.inject({ url: '/nope' })).json()).toMatchObject({ code: 'RW_NOT_FOUND' });
    await a.close();
  });

  it('lists every code it answers with in the catalogue', () => {
    for (const code of ['RW_BAD_URL', 'RW_CROSS_SITE', 'RW_UNSUPPORTED_MEDIA_TYPE', 'RW_STORAGE_UNAVAILABLE'])
      expect(ErrorCatalogue).toHaveProperty(code);
  });
});

describe('storage faults', () => {
  it('answers 503 (and /health unhealthy) while the writer reports a read-only or failing store, and recovers when it writes again', async () => {
    const store = new SqliteStore(':memory:');
    stores.push(store);
    let fault: string | undefined = 'SQLITE_READONLY';
    const failing = () => Object.assign(new Error('attempt to write a readonly database'), { code: fault });
    const writer = {
      write: async (batches: Array<{ count: number }>) => {
        if (fault) throw failing();
        return batches.map((b) => ({ inserted: b.count, duplicates: 0 }));
      },
      probe: async () => {
        if (fault) throw failing();
      },
      prune: async () => 0,
      close: async () => undefined,
    };
    const { app: a } = buildApp({ store, writer });
    const post = () =>
      a.inject({
        method: 'POST',
        url: '/events',
        headers: json,
        payload: { events: lostUpdate('x', 'a.ts:1:1', 'a.ts:2:1', 'a.ts:3:1') },
      });
    for (const code of ['SQLITE_READONLY', 'SQLITE_IOERR_WRITE']) {
      fault = code;
      const refused = await post();
      expect(refused.statusCode).toBe(503);
      expect(refused.json()).toMatchObject({ success: false, code: 'RW_STORAGE_UNAVAILABLE' });
      expect((await a.inject({ url: '/health' })).statusCode).toBe(503);
      fault = undefined;
      expect((await post()).statusCode).toBe(200);
      expect((await a.inject({ url: '/health' })).statusCode).toBe(200);
    }
    // A bug is a 500, not a storage fault.
    fault = 'ERR_SOMETHING_ELSE';
    expect((await post()).statusCode).toBe(500);
    expect((await a.inject({ url: '/health' })).statusCode).toBe(200);
    await a.close();
  });
});

describe('raceway serve as a process', () => {
  it('logs start, refused batches and stop as JSON lines, without event data or keys', async () => {
    const server = await serve(['--db', ':memory:'], { env: { RACEWAY_API_KEY: 'sekrit-key-1' } });
    const auth = { ...json, authorization: 'Bearer sekrit-key-1' };
    const events = [{ ...lostUpdate('x', 'a.ts:1:1', 'a.ts:2:1', 'a.ts:3:1')[0]!, timestamp: 'TOPSECRET-VALUE' }];
    await fetch(`${server.url}/events`, { method: 'POST', headers: auth, body: JSON.stringify({ events }) });
    await fetch(`${server.url}/events`, {
      method: 'POST',
      headers: { authorization: 'Bearer wrong-key-2' },
      body: '{}',
    });
    expect(await server.stop()).toBe(0);
    const lines = logLines(server.stderr());
    expect(lines.find((l) => String(l.msg).startsWith('raceway listening on'))).toMatchObject({ level: 30 });
    expect(lines.find((l) => l.msg === 'events rejected')).toMatchObject({
      rejected: 1,
      accepted: 0,
      client: '127.0.0.1',
      reason: expect.stringMatching(/timestamp/),
    });
    expect(lines.find((l) => l.msg === 'request refused')).toMatchObject({
      code: 'RW_UNAUTHORIZED',
      client: '127.0.0.1',
    });
    expect(lines.find((l) => l.msg === 'raceway stopped')).toBeTruthy();
    for (const secret of ['TOPSECRET', 'sekrit-key-1', 'wrong-key-2']) expect(server.stderr()).not.toContain(secret);
  });

  it('keeps quiet below --log-level', async () => {
    const server = await serve(['--db', ':memory:', '--log-level', 'warn']);
    await server.stop();
    expect(logLines(server.stderr())).toEqual([]);
    const wrong = spawnSync(process.execPath, [cli, 'serve', '--log-level', 'loud'], { encoding: 'utf8' });
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toMatch(/--log-level must be one of/);
  });

  it('exits 2 with a clear message when the port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    const started = Date.now();
    const result = spawnSync(
      process.execPath,
      [cli, 'serve', '--port', String(port), '--db', path.join(out, 'busy.db')],
      { encoding: 'utf8', timeout: 20_000 },
    );
    blocker.close();
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`port ${port} on 127.0.0.1 is already in use`));
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('takes keys from RACEWAY_API_KEY or a file, never needing them on the command line', async () => {
    const keyFile = path.join(out, 'keys');
    writeFileSync(keyFile, '# team keys\nfile-key-1\n\nfile-key-2\n');
    const server = await serve(['--db', ':memory:', '--api-key-file', keyFile], {
      env: { RACEWAY_API_KEY: 'env-key' },
    });
    try {
      const status = (key?: string) =>
        fetch(`${server.url}/api/races`, { headers: key ? { authorization: `Bearer ${key}` } : {} }).then(
          (r) => r.status,
        );
      expect(await status()).toBe(401);
      expect(await status('nope')).toBe(401);
      for (const key of ['file-key-1', 'file-key-2', 'env-key']) expect(await status(key)).toBe(200);
      const races = await runCli(['races', '--endpoint', server.url, '--api-key-file', keyFile]);
      expect(races.status, races.stderr).toBe(0);
    } finally {
      await server.stop();
    }
    const missing = spawnSync(process.execPath, [cli, 'serve', '--api-key-file', path.join(out, 'no-such-file')], {
      encoding: 'utf8',
    });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/cannot read --api-key-file/);
  });

  it('times out a slow body and keeps /health and ingest reachable through a flood of idle sockets, under a low fd limit', async () => {
    const server = await serve(['--db', path.join(out, `flood-${randomUUID()}.db`), '--request-timeout', '2s'], {
      shellPrefix: 'ulimit -n 512',
    });
    const sockets: net.Socket[] = [];
    try {
      const { hostname, port } = new URL(server.url);
      // A body sent one byte at a time, slower than any timeout.
      const slow = net.connect(Number(port), hostname);
      let slowReply = '';
      slow.on('data', (d) => (slowReply += d.toString()));
      const slowClosed = new Promise<number>((resolve) => slow.once('close', () => resolve(Date.now())));
      slow.write(
        `POST /events HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`,
      );
      const drip = setInterval(() => slow.write(' '), 700);
      const slowStarted = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 300)); // its headers are in: a request in progress, not an idle socket
      // 700 idle connections: more than the process may have open.
      for (let i = 0; i < 700; i++) {
        const s = net.connect(Number(port), hostname);
        s.on('error', () => undefined);
        sockets.push(s);
      }
      await Promise.all(
        sockets.map(
          (s) =>
            new Promise<void>((resolve) =>
              s.connecting ? s.once('connect', () => resolve()).once('close', () => resolve()) : resolve(),
            ),
        ),
      );
      const health = await fetch(`${server.url}/health`, { signal: AbortSignal.timeout(5000) });
      expect(health.status).toBe(200);
      const posted = await fetch(`${server.url}/events`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ events: lostUpdate('x', 'a.ts:1:1', 'a.ts:2:1', 'a.ts:3:1') }),
        signal: AbortSignal.timeout(5000),
      });
      expect((await posted.json()).data.inserted).toBe(3);
      const closedAt = await slowClosed;
      clearInterval(drip);
      expect(closedAt - slowStarted).toBeLessThan(8000);
      expect(slowReply).toMatch(/^HTTP\/1\.1 408/);
      expect(server.child.exitCode).toBeNull();
    } finally {
      for (const s of sockets) s.destroy();
      await server.stop();
    }
  });
});
