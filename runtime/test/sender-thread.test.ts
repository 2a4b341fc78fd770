import { execFile } from 'node:child_process';
import diagnosticsChannel from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RacewayClient, replaceDefaultClient } from '../src/index.js';
import { resetDiagnostics } from '../src/diag/diagnostics.js';
import { HttpTransport } from '../src/export/http-transport.js';
import { ThreadTransport } from '../src/export/thread-transport.js';
import { TestCollector } from './helpers/collector.js';

const clients: RacewayClient[] = [];
const collectors: TestCollector[] = [];
const runtimeDir = new URL('..', import.meta.url);

async function collector(): Promise<TestCollector> {
  const c = await new TestCollector().start();
  collectors.push(c);
  return c;
}

function client(endpoint: string, extra: ConstructorParameters<typeof RacewayClient>[0] = {}): RacewayClient {
  const c = new RacewayClient({
    endpoint,
    serviceName: 'sender-thread-test',
    onDiagnostic: () => undefined,
    flushIntervalMs: 60_000,
    ...extra,
  });
  replaceDefaultClient(c);
  clients.push(c);
  return c;
}

function emit(c: RacewayClient, n: number): void {
  for (let i = 0; i < n; i++) c.trackStateChange(`v${i % 3}`, i, i + 1, 'Write', 'a.ts:1:1');
}

/** The SDK's own POSTs (marked internal) that this thread's HTTP client starts while `fn` runs. */
async function postsFromThisThread(fn: () => Promise<void>): Promise<number> {
  let posts = 0;
  const onStart = (message: unknown) => {
    const request = (message as { request: ClientRequest }).request;
    if (request.getHeader('x-raceway-internal') === 'true') posts++;
  };
  diagnosticsChannel.subscribe('http.client.request.start', onStart);
  try {
    await fn();
  } finally {
    diagnosticsChannel.unsubscribe('http.client.request.start', onStart);
  }
  return posts;
}

/**
 * Runs an ES module script that loads this package's build; its stdout, stderr and exit status. Not
 * synchronous: the collector it sends to runs in this process.
 */
function runScript(script: string, options: { nodeArgs?: string[]; env?: NodeJS.ProcessEnv; commonJs?: boolean } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'raceway-sender-thread-'));
  const file = path.join(dir, options.commonJs ? 'main.cjs' : 'main.mjs');
  writeFileSync(file, script);
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) =>
    execFile(
      process.execPath,
      [...(options.nodeArgs ?? []), file],
      { encoding: 'utf8', timeout: 30_000, cwd: runtimeDir, env: { ...process.env, ...options.env } },
      (error, stdout, stderr) =>
        resolve({ status: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

const runtimeEntry = new URL('../dist/esm/index.js', import.meta.url).href;

afterEach(async () => {
  resetDiagnostics();
  await Promise.all(clients.splice(0).map((c) => c.shutdown()));
  await Promise.all(collectors.splice(0).map((c) => c.stop()));
});

describe('sender thread', () => {
  it('POSTs batches from a thread of its own: the app thread starts no HTTP request', async () => {
    const col = await collector();
    const c = client(col.url, { batchSize: 10 });
    const posts = await postsFromThisThread(async () => {
      emit(c, 25);
      await c.flush();
    });
    expect(posts).toBe(0);
    expect(col.events).toHaveLength(25);
    expect(col.batches[0]!.headers['x-raceway-internal']).toBe('true');
    expect(c.stats()).toMatchObject({ sent: 25, dropped: 0, queued: 0 });
  });

  it('POSTs from the app thread with senderThread: false (or RACEWAY_SENDER_THREAD=false)', async () => {
    const col = await collector();
    const c = client(col.url, { batchSize: 10, senderThread: false });
    const posts = await postsFromThisThread(async () => {
      emit(c, 25);
      await c.flush();
    });
    expect(posts).toBe(1);
    expect(col.events).toHaveLength(25);
    expect(() => new RacewayClient({ senderThread: 'no' as unknown as boolean })).toThrow(
      /option "senderThread" must be a boolean/,
    );
  });

  it('reads RACEWAY_SENDER_THREAD, and turns tracking off with a clear line for a value it does not know', async () => {
    const col = await collector();
    const said: string[] = [];
    const fromEnv = (value: string) => {
      process.env.RACEWAY_SENDER_THREAD = value;
      try {
        const c = RacewayClient.fromEnv({
          endpoint: col.url,
          flushIntervalMs: 60_000,
          onDiagnostic: (code, message) => said.push(`${code}: ${message}`),
        });
        clients.push(c);
        return c;
      } finally {
        delete process.env.RACEWAY_SENDER_THREAD;
      }
    };
    const c = fromEnv('false');
    replaceDefaultClient(c);
    const posts = await postsFromThisThread(async () => {
      emit(c, 4);
      await c.flush();
    });
    expect(posts).toBe(1);
    expect(fromEnv('sometimes').enabled).toBe(false);
    expect(said).toEqual([
      'config: RACEWAY_SENDER_THREAD must be true or false, got "sometimes" (from RACEWAY_* environment variables); tracking is off',
    ]);
  });

  it('retries from the app thread what the sender thread was sending when it stopped', async () => {
    const col = await collector();
    col.script = [{ status: 200, delayMs: 400 }];
    const transport = new ThreadTransport(col.url, undefined, new HttpTransport(col.url, undefined));
    try {
      const body = Buffer.from(JSON.stringify({ events: [] }));
      const first = transport.send(body, 5_000);
      // A worker thread can take a while to start on a busy machine.
      await vi.waitFor(() => expect(col.attempts).toHaveLength(1), { timeout: 10_000 });
      await (transport as unknown as { worker: Worker }).worker.terminate();
      await expect(first).resolves.toMatchObject({ kind: 'retryable', reason: expect.stringMatching(/sender thread/) });
      const posts = await postsFromThisThread(async () => {
        await expect(transport.send(body, 5_000)).resolves.toEqual({ kind: 'ok' });
      });
      expect(posts).toBe(1);
    } finally {
      transport.shutdown();
    }
  });

  it('runs the same from the CommonJS build', async () => {
    const col = await collector();
    const entry = new URL('../dist/cjs/index.js', import.meta.url);
    const result = await runScript(
      `const { RacewayClient } = require(${JSON.stringify(entry.pathname)});
       const diagnosticsChannel = require('node:diagnostics_channel');
       let fromApp = 0;
       diagnosticsChannel.subscribe('http.client.request.start', () => fromApp++);
       const c = new RacewayClient({ endpoint: ${JSON.stringify(col.url)}, serviceName: 'cjs' });
       for (let i = 0; i < 12; i++) c.trackStateChange('x', i, i + 1, 'Write', 'a.ts:1:1');
       c.shutdown().then(() => console.log(JSON.stringify({ ...c.stats(), fromApp })));`,
      { commonJs: true },
    );
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ sent: 12, dropped: 0, fromApp: 0 });
    expect(col.events).toHaveLength(12);
  });

  it('sends from the app thread, and says so once, where a worker thread cannot start', async () => {
    const col = await collector();
    // The permission model forbids worker threads unless allowed.
    const flag = process.allowedNodeEnvironmentFlags.has('--permission') ? '--permission' : '--experimental-permission';
    const result = await runScript(
      `import { RacewayClient } from ${JSON.stringify(runtimeEntry)};
       const c = new RacewayClient({ endpoint: ${JSON.stringify(col.url)}, serviceName: 'no-workers' });
       for (let i = 0; i < 30; i++) c.trackStateChange('x', i, i + 1, 'Write', 'a.ts:1:1');
       await c.shutdown();
       console.log(JSON.stringify(c.stats()));`,
      { nodeArgs: [flag, '--allow-fs-read=*'] },
    );
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ sent: 30, dropped: 0 });
    expect(col.events).toHaveLength(30);
    const said = result.stderr.split('\n').filter((l) => l.includes('sender-thread'));
    expect(said, result.stderr).toHaveLength(1);
    expect(said[0]).toMatch(/sent from the app's thread/);
  });

  it("loads none of the app's preloads (NODE_OPTIONS or --require) in the sender thread", async () => {
    const col = await collector();
    const dir = mkdtempSync(path.join(tmpdir(), 'raceway-preload-'));
    const preload = path.join(dir, 'preload.cjs');
    writeFileSync(
      preload,
      `process.stdout.write('preload in thread ' + require('node:worker_threads').threadId + '\\n');`,
    );
    const script = `import { RacewayClient } from ${JSON.stringify(runtimeEntry)};
       const c = new RacewayClient({ endpoint: ${JSON.stringify(col.url)}, serviceName: 'preloads' });
       for (let i = 0; i < 10; i++) c.trackStateChange('x', i, i + 1, 'Write', 'a.ts:1:1');
       await c.shutdown();
       console.log('sent', c.stats().sent);`;
    for (const options of [{ env: { NODE_OPTIONS: `--require ${preload}` } }, { nodeArgs: ['--require', preload] }]) {
      const result = await runScript(script, options);
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout.trim().split('\n')).toEqual(['preload in thread 0', 'sent 10']);
    }
    expect(col.events).toHaveLength(20);
  });

  it('sends what arrives during a POST with the next flush, unless a full POST is waiting', async () => {
    const col = await collector();
    col.script = [{ status: 200, delayMs: 200 }];
    const c = client(col.url, { batchSize: 5 });
    emit(c, 7); // a full POST of five goes; two wait
    await vi.waitFor(() => expect(c.stats().sent).toBe(5), { timeout: 10_000 });
    await new Promise((r) => setTimeout(r, 100));
    expect(col.attempts.map((a) => a.count)).toEqual([5]);
    emit(c, 3); // five waiting: a full POST goes without waiting for the flush interval
    await col.waitForEvents(10);
    expect(col.attempts.map((a) => a.count)).toEqual([5, 5]);
  });
});
