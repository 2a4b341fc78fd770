import type Database from 'better-sqlite3';

/** The layout `SqliteStore` reads and writes (`PRAGMA user_version`). */
export const SCHEMA_VERSION = 4;

// An `events` row is one event, or (`count` > 1) a run of consecutive events of one compact batch (positions
// `position` … `position + count - 1`, consecutive sequence numbers) that share every other column: a request
// handler's events, written as one row instead of one each. Standard events are always one row each.
// Events of standard batches keep their id in `events.id` (unique). Events of compact batches are identified by
// their batch's id prefix and their sequence number: `sequence_ranges` holds each stored run of consecutive
// numbers (one row per batch from our SDK), which is what makes a retried compact batch a duplicate, at one
// row per batch instead of one index entry per event.
// Sequence numbers and batch keys are never reused (AUTOINCREMENT), even after pruning empties a table:
// the index watermark and "newest batch" comparisons rely on them only growing.
const TABLES = `
CREATE TABLE IF NOT EXISTS traces (
  key INTEGER PRIMARY KEY,
  trace_id TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS batches (
  key INTEGER PRIMARY KEY AUTOINCREMENT,
  received_at INTEGER NOT NULL,
  body BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT,
  trace_key INTEGER NOT NULL,
  kind TEXT NOT NULL,
  service TEXT NOT NULL,
  span TEXT,
  upstream_span TEXT,
  ts TEXT NOT NULL,
  batch INTEGER NOT NULL,
  position INTEGER NOT NULL,
  count INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX IF NOT EXISTS events_id ON events (id) WHERE id IS NOT NULL;
CREATE TABLE IF NOT EXISTS sequence_ranges (
  prefix TEXT NOT NULL,
  first INTEGER NOT NULL,
  last INTEGER NOT NULL,
  batch INTEGER NOT NULL,
  PRIMARY KEY (prefix, first)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS trace_events (
  trace_key INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY (trace_key, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS trace_services (
  trace_key INTEGER NOT NULL,
  service TEXT NOT NULL,
  events INTEGER NOT NULL,
  first_ts TEXT NOT NULL,
  last_ts TEXT NOT NULL,
  latest_seq INTEGER NOT NULL,
  latest_batch INTEGER NOT NULL,
  PRIMARY KEY (trace_key, service)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS store_state (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
INSERT OR IGNORE INTO store_state (name, value) VALUES ('indexed_through', 0), ('events', 0);
`;

/**
 * Brings a database file to SCHEMA_VERSION: creates a new one, or converts an older layout in place, keeping
 * every event: the first (one JSON text per event, trace index kept on every insert), the second (every
 * event with an id) or the third (one row per event). A file written by a newer server is refused rather than guessed at.
 */
export function migrate(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version === SCHEMA_VERSION) return;
  if (version > SCHEMA_VERSION) {
    throw new Error(
      `this database was written by a newer Raceway server (store layout ${version}, this server reads ${SCHEMA_VERSION}); upgrade the server or use another --db`,
    );
  }
  // IMMEDIATE: a second connection opening the same file at once (the writer thread beside the HTTP thread)
  // waits for this one, then finds the layout current.
  db.transaction(() => {
    if ((db.pragma('user_version', { simple: true }) as number) === SCHEMA_VERSION) return;
    const columns = db.prepare("SELECT name FROM pragma_table_info('events')").pluck().all() as string[];
    const firstLayout = columns.includes('body');
    if (firstLayout) {
      db.exec('DROP INDEX IF EXISTS events_trace; ALTER TABLE events RENAME TO events_v1;');
    }
    if (version === 3) {
      // The third layout is this one without run rows: each of its rows is one event.
      db.exec('ALTER TABLE events ADD COLUMN count INTEGER NOT NULL DEFAULT 1');
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
      return;
    }
    const secondLayout = version === 2;
    const counter = secondLayout
      ? ((db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'events'").pluck().get() as number | undefined) ?? 0)
      : 0;
    if (secondLayout) db.exec('ALTER TABLE events RENAME TO events_v2;');
    db.exec(TABLES);
    if (secondLayout) {
      db.exec(`
        INSERT INTO events (seq, id, trace_key, kind, service, span, upstream_span, ts, batch, position)
          SELECT seq, id, trace_key, kind, service, span, upstream_span, ts, batch, position FROM events_v2;
        DROP TABLE events_v2;`);
      // The copy moved the counter to the largest kept number; numbers of pruned events stay used.
      db.prepare("DELETE FROM sqlite_sequence WHERE name = 'events'").run();
      db.prepare("INSERT INTO sqlite_sequence (name, seq) VALUES ('events', ?)").run(counter);
    }
    if (firstLayout) {
      db.exec(`
        INSERT INTO batches (key, received_at, body) SELECT seq, received_at, '{"events":[' || body || ']}' FROM events_v1;
        INSERT INTO events (seq, id, trace_key, kind, service, span, upstream_span, ts, batch, position)
          SELECT seq, id, trace_key, kind, service, span, upstream_span, ts, seq, 0 FROM events_v1;
        DROP TABLE events_v1;
        UPDATE store_state SET value = (SELECT count(*) FROM events) WHERE name = 'events';`);
    }
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}
