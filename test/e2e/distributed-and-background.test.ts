import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SqliteStore } from '@raceway/server';
import type { StoredEvent } from '@raceway/server';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = path.join(repo, 'server', 'bin', 'raceway.mjs');
const out = path.join(repo, 'test-output', 'e2e');
mkdirSync(out, { recursive: true });

interface Report {
  races: Array<{
    severity: string;
    kind: string;
    variable: string;
    services: string[];
    accesses: Array<{ access: string; location: string; traceId: string }>;
  }>;
}

function runExample(
  example: string,
  args: string[],
  name: string,
): { report: Report; events: StoredEvent[]; stdout: string } {
  const json = path.join(out, `${name}.json`);
  const db = path.join(out, `${name}.db`);
  rmSync(db, { force: true });
  const result = spawnSync(
    process.execPath,
    [cli, 'run', '--json', json, '--db', db, '--', process.execPath, ...args],
    { cwd: path.join(repo, 'examples', example), encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`raceway run exited ${result.status}: ${result.stderr}`);
  const store = new SqliteStore(db);
  const events = [...store.allEvents()];
  store.close();
  return { report: JSON.parse(readFileSync(json, 'utf8')) as Report, events, stdout: result.stdout };
}

const service = (e: StoredEvent) => e.metadata.service_name as string;
const kind = (e: StoredEvent) => Object.keys(e.kind)[0];
const meta = (e: StoredEvent) => e.metadata as unknown as Record<string, string | null>;

describe('distributed example', () => {
  it('reports the race on the stock row between two concurrent orders, across services', () => {
    const { report, events } = runExample('distributed', ['run.mjs', 'concurrent'], 'distributed-concurrent');
    expect(report.races.map((r) => `${r.severity} ${r.kind} ${r.variable}`)).toEqual([
      'critical lost-update shared:db.stock.sku-1',
    ]);
    expect(report.races[0]!.accesses.map((a) => `${a.access} ${a.location}`)).toEqual([
      'read inventory.mjs:8:19',
      'write inventory.mjs:11:3',
      'write inventory.mjs:11:3',
    ]);
    // Each order is one trace through the three services, spans chained parent -> child.
    const traces = new Set(report.races[0]!.accesses.map((a) => a.traceId));
    expect(traces.size).toBe(2);
    for (const traceId of traces) {
      const inTrace = events.filter((e) => e.trace_id === traceId);
      expect(new Set(inTrace.map(service))).toEqual(new Set(['gateway', 'inventory', 'payment']));
      const gatewaySpan = meta(inTrace.find((e) => service(e) === 'gateway')!).distributed_span_id;
      expect(meta(inTrace.find((e) => service(e) === 'inventory')!).upstream_span_id).toBe(gatewaySpan);
      expect(meta(inTrace.find((e) => service(e) === 'payment')!).upstream_span_id).toBe(gatewaySpan);
      expect(inTrace.some((e) => service(e) === 'payment' && kind(e) === 'FunctionCall')).toBe(true);
    }
  });

  it('finds nothing when one request places its two orders in sequence', () => {
    const { report, events, stdout } = runExample('distributed', ['run.mjs', 'ordered'], 'distributed-ordered');
    expect(stdout).toContain('stock left after each order: 4, 3');
    expect(report.races).toEqual([]);
    expect(new Set(events.map((e) => e.trace_id)).size).toBe(1);
    expect(events.filter((e) => service(e) === 'inventory' && kind(e) === 'HttpRequest')).toHaveLength(2);
  });
});

describe('background-worker example', () => {
  it('keeps queued jobs and timers in the request trace, and reports the interval job racing the handler', () => {
    const { report, events } = runExample('background-worker', ['dist/main.js'], 'background-worker');
    const requestTraces = new Set(events.filter((e) => kind(e) === 'HttpRequest').map((e) => e.trace_id));
    expect(requestTraces.size).toBe(3);
    const mails = events.filter(
      (e) =>
        kind(e) === 'FunctionCall' &&
        (e.kind.FunctionCall as { function_name: string }).function_name === 'sendWelcomeMail',
    );
    expect(mails).toHaveLength(3);
    for (const mail of mails) {
      expect(requestTraces.has(mail.trace_id)).toBe(true);
      const request = events.find((e) => kind(e) === 'HttpRequest' && e.trace_id === mail.trace_id)!;
      expect(mail.raceway!.task).not.toBe(request.raceway!.task);
    }
    // The spawned timeout task also runs in its request's trace, as a task of its own.
    const expiries = events.filter(
      (e) => e.kind.StateChange && String(e.kind.StateChange.location).startsWith('src/main.ts:52:'),
    );
    expect(expiries.length).toBeGreaterThan(0);
    for (const e of expiries) expect(requestTraces.has(e.trace_id)).toBe(true);

    const handlerRace = report.races.find((r) => r.accesses.some((a) => a.location === 'src/main.ts:48:5'));
    expect(handlerRace).toBeDefined();
    expect(handlerRace!.variable).toBe('metrics.active');
    expect(handlerRace!.accesses.map((a) => a.location)).toEqual(
      expect.arrayContaining(['src/main.ts:39:18', 'src/main.ts:48:5']),
    );
  });
});
