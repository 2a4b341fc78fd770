import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { EventStore, ServiceEdge, ServiceSummary, StoredEvent, TraceSummary } from './event-store.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  trace_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  service TEXT NOT NULL,
  span TEXT,
  upstream_span TEXT,
  ts TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_trace ON events(trace_id);
`;

/**
 * The embedded store: better-sqlite3 in WAL mode. Batches go in one transaction each, committed before
 * `insert` returns; with WAL and synchronous=NORMAL a committed batch survives a crash of the process.
 * Ids are unique (repeated events are ignored): our SDK's ids are time-ordered, which keeps that index cheap.
 */
export class SqliteStore implements EventStore {
  private readonly db: Database.Database;
  private readonly insertOne: Database.Statement;
  private readonly insertMany: (events: StoredEvent[]) => number;

  constructor(file: string) {
    if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(SCHEMA);
    this.insertOne = this.db.prepare(
      'INSERT OR IGNORE INTO events (id, trace_id, kind, service, span, upstream_span, ts, received_at, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.insertMany = this.db.transaction((events: StoredEvent[]) => {
      const now = Date.now();
      let inserted = 0;
      for (const e of events) {
        const meta = e.metadata as Record<string, unknown>;
        inserted += this.insertOne.run(
          e.id,
          e.trace_id.toLowerCase(),
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
  }

  insert(events: StoredEvent[]): { inserted: number; duplicates: number } {
    if (events.length === 0) return { inserted: 0, duplicates: 0 };
    const inserted = this.insertMany(events);
    return { inserted, duplicates: events.length - inserted };
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
    return (this.db.prepare('SELECT body FROM events WHERE trace_id = ? ORDER BY seq').all(traceId.toLowerCase()) as Array<{ body: string }>).map((r) => JSON.parse(r.body) as StoredEvent);
  }

  traces(page: number, pageSize: number, service?: string): { traces: TraceSummary[]; total: number } {
    const where = service ? 'WHERE trace_id IN (SELECT trace_id FROM events WHERE service = ?)' : '';
    const args = service ? [service] : [];
    const total = (this.db.prepare(`SELECT count(DISTINCT trace_id) AS n FROM events ${where}`).get(...args) as { n: number }).n;
    const rows = this.db
      .prepare(
        `SELECT trace_id, group_concat(DISTINCT service) AS services, count(*) AS events, min(ts) AS first, max(ts) AS last, max(seq) AS latest
         FROM events ${where} GROUP BY trace_id ORDER BY latest DESC LIMIT ? OFFSET ?`,
      )
      .all(...args, pageSize, (page - 1) * pageSize) as Array<{ trace_id: string; services: string; events: number; first: string; last: string }>;
    return {
      total,
      traces: rows.map((r) => ({ traceId: r.trace_id, services: r.services.split(',').sort(), events: r.events, firstSeen: r.first, lastSeen: r.last })),
    };
  }

  services(): ServiceSummary[] {
    return (this.db.prepare('SELECT service AS name, count(*) AS events, count(DISTINCT trace_id) AS traces FROM events GROUP BY service ORDER BY service').all() as ServiceSummary[]);
  }

  edges(): ServiceEdge[] {
    // A callee's first event names the caller's span as its upstream: one edge per distinct (trace, callee span).
    return this.db
      .prepare(
        `SELECT caller.service AS "from", callee.service AS "to", count(*) AS calls FROM
           (SELECT DISTINCT trace_id, span, upstream_span, service FROM events WHERE upstream_span IS NOT NULL) AS callee
           JOIN (SELECT DISTINCT trace_id, span, service FROM events WHERE span IS NOT NULL) AS caller
             ON caller.trace_id = callee.trace_id AND caller.span = callee.upstream_span
         GROUP BY caller.service, callee.service ORDER BY calls DESC`,
      )
      .all() as ServiceEdge[];
  }

  counts(): { events: number; traces: number } {
    return this.db.prepare('SELECT count(*) AS events, count(DISTINCT trace_id) AS traces FROM events').get() as { events: number; traces: number };
  }

  prune(cutoffMs: number): number {
    return this.db.prepare('DELETE FROM events WHERE trace_id IN (SELECT trace_id FROM events GROUP BY trace_id HAVING max(received_at) < ?)').run(cutoffMs).changes;
  }

  close(): void {
    this.db.close();
  }
}
