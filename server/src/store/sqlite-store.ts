import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { EventStore, ServiceEdge, ServiceSummary, StoredEvent, TraceSummary } from './event-store.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS traces (
  key INTEGER PRIMARY KEY,
  trace_id TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  trace_key INTEGER NOT NULL,
  kind TEXT NOT NULL,
  service TEXT NOT NULL,
  span TEXT,
  upstream_span TEXT,
  ts TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_trace ON events(trace_key);
`;

/**
 * The embedded store: better-sqlite3 in WAL mode. Batches go in one transaction each, committed before
 * `insert` returns; with WAL and synchronous=NORMAL a committed batch survives a crash of the process.
 * Ids are unique (repeated events are ignored): our SDK's ids are time-ordered, which keeps that index cheap.
 * Trace ids (random) are stored once in `traces`; events refer to a trace by an increasing integer key,
 * so indexing events by trace appends instead of scattering random keys through a B-tree.
 */
export class SqliteStore implements EventStore {
  private readonly db: Database.Database;
  private readonly insertOne: Database.Statement;
  private readonly insertMany: (batches: StoredEvent[][]) => number[];
  private readonly findTrace: Database.Statement;
  private readonly addTrace: Database.Statement;
  private readonly traceKeys = new Map<string, number>();

  constructor(file: string) {
    if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(SCHEMA);
    this.insertOne = this.db.prepare(
      'INSERT OR IGNORE INTO events (id, trace_key, kind, service, span, upstream_span, ts, received_at, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.findTrace = this.db.prepare('SELECT key FROM traces WHERE trace_id = ?').pluck();
    this.addTrace = this.db.prepare('INSERT INTO traces (trace_id) VALUES (?)');
    this.insertMany = this.db.transaction((batches: StoredEvent[][]) => {
      const now = Date.now();
      return batches.map((events) => {
      let inserted = 0;
      for (const e of events) {
        const meta = e.metadata as Record<string, unknown>;
        inserted += this.insertOne.run(
          e.id,
          this.traceKey(e.trace_id),
          Object.keys(e.kind)[0] ?? 'Unknown',
          String(meta.service_name ?? 'unknown'),
          typeof meta.distributed_span_id === 'string' ? meta.distributed_span_id : null,
          typeof meta.upstream_span_id === 'string' ? meta.upstream_span_id : null,
          e.timestamp,
          now,
          JSON.stringify(e),
        ).changes;
      }
      return inserted;
      });
    });
  }

  private traceKey(traceId: string): number {
    const id = normalizeTraceId(traceId);
    let key = this.traceKeys.get(id);
    if (key === undefined) {
      key = (this.findTrace.get(id) as number | undefined) ?? Number(this.addTrace.run(id).lastInsertRowid);
      if (this.traceKeys.size >= 100_000) this.traceKeys.clear();
      this.traceKeys.set(id, key);
    }
    return key;
  }

  insert(events: StoredEvent[]): { inserted: number; duplicates: number } {
    return this.insertBatches([events])[0]!;
  }

  insertBatches(batches: StoredEvent[][]): Array<{ inserted: number; duplicates: number }> {
    let counts: number[];
    try {
      counts = this.insertMany(batches);
    } catch (error) {
      this.traceKeys.clear(); // the transaction rolled back: cached keys may name uncommitted traces
      throw error;
    }
    return counts.map((inserted, i) => ({ inserted, duplicates: batches[i]!.length - inserted }));
  }

  *allEvents(kinds?: string[]): Iterable<StoredEvent> {
    const sql = kinds?.length
      ? `SELECT body FROM events WHERE kind IN (${kinds.map(() => '?').join(',')}) ORDER BY seq`
      : 'SELECT body FROM events ORDER BY seq';
    for (const row of this.db.prepare(sql).iterate(...(kinds ?? [])) as Iterable<{ body: string }>) {
      yield JSON.parse(row.body) as StoredEvent;
    }
  }

  traceEvents(traceId: string): StoredEvent[] {
    const key = this.findTrace.get(normalizeTraceId(traceId)) as number | undefined;
    if (key === undefined) return [];
    return (this.db.prepare('SELECT body FROM events WHERE trace_key = ? ORDER BY seq').all(key) as Array<{ body: string }>).map((r) => JSON.parse(r.body) as StoredEvent);
  }

  traces(page: number, pageSize: number, service?: string): { traces: TraceSummary[]; total: number } {
    const where = service ? 'WHERE e.trace_key IN (SELECT trace_key FROM events WHERE service = ?)' : '';
    const args = service ? [service] : [];
    const total = (this.db.prepare(`SELECT count(DISTINCT e.trace_key) AS n FROM events e ${where}`).get(...args) as { n: number }).n;
    const rows = this.db
      .prepare(
        `SELECT t.trace_id AS trace_id, group_concat(DISTINCT e.service) AS services, count(*) AS events, min(e.ts) AS first, max(e.ts) AS last, max(e.seq) AS latest
         FROM events e JOIN traces t ON t.key = e.trace_key ${where} GROUP BY e.trace_key ORDER BY latest DESC LIMIT ? OFFSET ?`,
      )
      .all(...args, pageSize, (page - 1) * pageSize) as Array<{ trace_id: string; services: string; events: number; first: string; last: string }>;
    return {
      total,
      traces: rows.map((r) => ({ traceId: r.trace_id, services: r.services.split(',').sort(), events: r.events, firstSeen: r.first, lastSeen: r.last })),
    };
  }

  services(): ServiceSummary[] {
    return this.db.prepare('SELECT service AS name, count(*) AS events, count(DISTINCT trace_key) AS traces FROM events GROUP BY service ORDER BY service').all() as ServiceSummary[];
  }

  edges(): ServiceEdge[] {
    // A callee's first event names the caller's span as its upstream: one edge per distinct (trace, callee span).
    return this.db
      .prepare(
        `SELECT caller.service AS "from", callee.service AS "to", count(*) AS calls FROM
           (SELECT DISTINCT trace_key, span, upstream_span, service FROM events WHERE upstream_span IS NOT NULL) AS callee
           JOIN (SELECT DISTINCT trace_key, span, service FROM events WHERE span IS NOT NULL) AS caller
             ON caller.trace_key = callee.trace_key AND caller.span = callee.upstream_span
         GROUP BY caller.service, callee.service ORDER BY calls DESC`,
      )
      .all() as ServiceEdge[];
  }

  counts(): { events: number; traces: number } {
    return this.db.prepare('SELECT count(*) AS events, count(DISTINCT trace_key) AS traces FROM events').get() as { events: number; traces: number };
  }

  prune(cutoffMs: number): number {
    const removed = this.db.prepare('DELETE FROM events WHERE trace_key IN (SELECT trace_key FROM events GROUP BY trace_key HAVING max(received_at) < ?)').run(cutoffMs).changes;
    this.db.prepare('DELETE FROM traces WHERE key NOT IN (SELECT DISTINCT trace_key FROM events)').run();
    this.traceKeys.clear();
    return removed;
  }

  close(): void {
    this.db.close();
  }
}

/** Trace ids are kept in lowercase UUID form, whatever form they arrived in. */
export function normalizeTraceId(traceId: string): string {
  const hex = traceId.replace(/-/g, '').toLowerCase();
  return hex.length === 32 ? `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}` : traceId.toLowerCase();
}
