import { mkdirSync, statfsSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { eventIdOf } from '@raceway/protocol';
import { toEventRow } from './event-row.js';
import { conflictReason } from './repeated-event.js';
import type { StoredId } from './repeated-event.js';
import type { EventStore, ServiceEdge, ServiceSummary, StoredEvent, TraceSummary } from './event-store.js';
import { eventsOfBatchText, storedBody, unpackBatchText } from './batch-text.js';
import type { BatchResult, EventRow, IngestBatch, Rejection } from './ingest-batch.js';
import { eventCount, eventRows, eventsIn, runRows } from './ingest-batch.js';
import { migrate } from './schema.js';
import { codedError, STORE_FILE_GONE } from './storage-fault.js';

/**
 * The unindexed tail the per-trace index lets build up: beyond it, each write also indexes as many events as
 * it wrote, and INDEX_STEP more, so the tail stays near this size and no write waits for a whole run (one run
 * of 131 072 events held the writer ~0.1 s, which a busy SDK's queue had to absorb).
 */
const INDEX_EVERY = 131_072;
const INDEX_STEP = 8_192;
/** Rows per INSERT statement: one call per row costs more in binding overhead than SQLite's own work. */
const ROWS_PER_INSERT = 32;
const EVENT_COLUMNS = 10;
/** The longest run of sequence numbers one `sequence_ranges` row holds: bounds the lookup of a number's run. */
const MAX_RUN = 65_536;
/** An SDK event id is its process's prefix (`8-4-4-`), then `8` and the sequence number (`eventIdOf`). */
const ID_PREFIX_LENGTH = 19;
/** With a WalCheckpointer running, the writer still checkpoints when the WAL reaches this many pages (64 MiB). */
const BACKSTOP_CHECKPOINT_PAGES = 16_384;

/** Free space a recovering store needs before it takes events again. */
const PROBE_MIN_FREE_BYTES = 1024 * 1024;

/** The events table and the traces' summary as one relation: indexed rows plus the not yet indexed tail. */
const TRACE_ROWS = `
  trace_rows AS (
    SELECT trace_key, service, events, first_ts, last_ts, latest_seq FROM trace_services
    UNION ALL
    SELECT trace_key, service, sum(count), min(ts), max(ts), max(seq) FROM events
      WHERE seq > (SELECT value FROM store_state WHERE name = 'indexed_through') GROUP BY trace_key, service
  )`;

/**
 * The embedded store: better-sqlite3 in WAL mode. Each `insertBatches` call is one transaction, committed
 * before it returns; with WAL and synchronous=NORMAL a committed batch survives a crash of the process.
 *
 * Layout (schema.ts), chosen for ingest speed:
 * - `batches` keeps each request's JSON text as it arrived, compressed (batch-text.ts); an event is read back
 *   from its batch by position, so nothing is serialised again on the way in.
 * - `events` has one narrow row per event for the columns queries filter on. Standard events' ids are unique
 *   (a repeated event is ignored); our SDK's ids are time-ordered, which keeps that index appending. Events
 *   of compact batches have no id there: `sequence_ranges` tells their repeats (insertCompact), and
 *   consecutive ones that share every column go as one row with their `count` (a request handler's events
 *   without an `await` between them: ~3 rows for the 28 events of a request instead of 28). A sequence
 *   number orders rows; counts of events add up `count`.
 * - Trace ids (random) are stored once in `traces`; events refer to a trace by an integer key.
 * - The per-trace index (`trace_events`) and summary (`trace_services`) are filled behind ingest in sorted
 *   runs, once INDEX_EVERY events are waiting, a little more than each write adds: indexing each event as it
 *   arrives would scatter one write per event across the index. Queries read the indexed part plus the short
 *   tail (`seq > indexed_through`), so they always see every committed event.
 */
export class SqliteStore implements EventStore {
  private readonly db: Database.Database;
  private readonly insertEvents = new Map<number, Database.Statement>();
  private readonly insertBatch: Database.Statement;
  private readonly dropBatch: Database.Statement;
  private readonly countEvents: Database.Statement;
  private readonly findTrace: Database.Statement;
  private readonly addTrace: Database.Statement;
  private readonly batchText: Database.Statement;
  private readonly writeMany: (
    batches: IngestBatch[],
    bodies: Array<Buffer | null>,
    conflicts: Rejection[][],
  ) => number[];
  private readonly indexTail: (limit: number) => number;
  private readonly traceKeys = new Map<string, number>();
  /** Rows (not events) waiting for the per-trace index. */
  private unindexed: number;
  /** Rows inserted by the current `insertBatches` call. */
  private rowsWritten = 0;
  private readonly indexEvery: number;
  private readonly indexStep: number;
  private readonly file: string;
  /** The database file's identity when opened: a file deleted or replaced since cannot keep what is written. */
  private readonly identity: { dev: number; ino: number } | undefined;
  private readonly touch: Database.Statement;
  private readonly storedIds: Map<number, Database.Statement>;
  private readonly rangesNear: Database.Statement;
  private readonly idsBetween: Database.Statement;
  private readonly addRange: Database.Statement;
  /** Id prefixes with stored compact events: only standard ids under these can repeat one. */
  private readonly rangePrefixes: Set<string>;

  /**
   * `checkpointElsewhere`: a WalCheckpointer runs beside this connection, which then checkpoints only as a
   * backstop. `indexEvery`, `indexStep`: the unindexed tail allowed and the extra indexed per write (tests).
   */
  constructor(file: string, options: { checkpointElsewhere?: boolean; indexEvery?: number; indexStep?: number } = {}) {
    this.file = file;
    this.indexEvery = options.indexEvery ?? INDEX_EVERY;
    this.indexStep = options.indexStep ?? INDEX_STEP;
    if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.db = new Database(file);
    const opened = file === ':memory:' ? undefined : statSync(file);
    this.identity = opened ? { dev: opened.dev, ino: opened.ino } : undefined;
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 10000');
    if (options.checkpointElsewhere) this.db.pragma(`wal_autocheckpoint = ${BACKSTOP_CHECKPOINT_PAGES}`);
    migrate(this.db);
    this.storedIds = new Map();
    this.touch = this.db.prepare("UPDATE store_state SET value = value WHERE name = 'events'");
    this.touch.run(); // a read-only file or file system is said at start, not on the first POST
    this.insertBatch = this.db.prepare('INSERT INTO batches (received_at, body) VALUES (?, ?)');
    this.dropBatch = this.db.prepare('DELETE FROM batches WHERE key = ?');
    this.countEvents = this.db.prepare("UPDATE store_state SET value = value + ? WHERE name = 'events'");
    this.findTrace = this.db.prepare('SELECT key FROM traces WHERE trace_id = ?').pluck();
    this.addTrace = this.db.prepare('INSERT INTO traces (trace_id) VALUES (?)');
    this.batchText = this.db.prepare('SELECT body FROM batches WHERE key = ?').pluck();
    this.rangesNear = this.db.prepare(
      'SELECT first, last, batch FROM sequence_ranges WHERE prefix = ? AND first BETWEEN ? AND ? ORDER BY first',
    );
    this.idsBetween = this.db.prepare(
      'SELECT e.id, t.trace_id, e.kind, e.service, e.ts FROM events e JOIN traces t ON t.key = e.trace_key WHERE e.id BETWEEN ? AND ?',
    );
    this.addRange = this.db.prepare('INSERT INTO sequence_ranges (prefix, first, last, batch) VALUES (?, ?, ?, ?)');
    this.rangePrefixes = new Set(
      this.db.prepare('SELECT DISTINCT prefix FROM sequence_ranges').pluck().all() as string[],
    );
    this.writeMany = this.db.transaction(
      (batches: IngestBatch[], bodies: Array<Buffer | null>, conflicts: Rejection[][]) => {
        const now = Date.now();
        let total = 0;
        const counts = batches.map(({ rows, idPrefix }, b) => {
          if (rows.length === 0) return 0;
          const batch = Number(this.insertBatch.run(now, bodies[b]).lastInsertRowid);
          const inserted =
            idPrefix === undefined
              ? this.insertStandard(this.withoutCompactRepeats(rows, conflicts[b]!), batch, conflicts[b]!)
              : this.insertCompact(rows, idPrefix, batch, conflicts[b]!);
          if (inserted === 0) this.dropBatch.run(batch); // every event was a repeat: keep no second copy of the text
          total += inserted;
          return inserted;
        });
        if (total > 0) this.countEvents.run(total);
        return counts;
      },
    );
    const stateOf = this.db.prepare('SELECT value FROM store_state WHERE name = ?').pluck();
    const lastSeq = this.db.prepare('SELECT coalesce(max(seq), 0) FROM events').pluck();
    const indexEvents = this.db.prepare(
      'INSERT OR IGNORE INTO trace_events (trace_key, seq) SELECT trace_key, seq FROM events WHERE seq > ? AND seq <= ? ORDER BY trace_key, seq',
    );
    const summarise = this.db.prepare(`
      INSERT INTO trace_services (trace_key, service, events, first_ts, last_ts, latest_seq, latest_batch)
        SELECT trace_key, service, sum(count), min(ts), max(ts), max(seq), max(batch) FROM events WHERE seq > ? AND seq <= ? GROUP BY trace_key, service
      ON CONFLICT (trace_key, service) DO UPDATE SET
        events = events + excluded.events, first_ts = min(first_ts, excluded.first_ts), last_ts = max(last_ts, excluded.last_ts),
        latest_seq = max(latest_seq, excluded.latest_seq), latest_batch = max(latest_batch, excluded.latest_batch)`);
    const setIndexed = this.db.prepare("UPDATE store_state SET value = ? WHERE name = 'indexed_through'");
    this.indexTail = this.db.transaction((limit: number) => {
      const from = stateOf.get('indexed_through') as number;
      const to = Math.min(lastSeq.get() as number, from + limit);
      if (to <= from) return 0;
      indexEvents.run(from, to);
      summarise.run(from, to);
      setIndexed.run(to);
      return to - from;
    });
    this.unindexed = this.db
      .prepare("SELECT count(*) FROM events WHERE seq > (SELECT value FROM store_state WHERE name = 'indexed_through')")
      .pluck()
      .get() as number;
    if (this.unindexed >= this.indexEvery) this.indexPending(); // e.g. a file converted from the first layout
  }

  /** Rows of a standard batch, by id: a repeated id is skipped by the unique index, then told apart here. */
  private insertStandard(rows: EventRow[], batch: number, conflicts: Rejection[]): number {
    let inserted = 0;
    for (let from = 0; from < rows.length; from += ROWS_PER_INSERT) {
      const count = Math.min(ROWS_PER_INSERT, rows.length - from);
      const changes = this.insertRows(rows, from, count, batch, false);
      inserted += changes;
      if (changes < count) this.findConflicts(rows, from, count, batch, conflicts);
    }
    return inserted;
  }

  /**
   * Rows of a compact batch, keyed by sequence number under `prefix` (run rows: `runRows`). Numbers inside a
   * stored run, or whose id a standard event already has, are repeats (told apart from conflicts here); the
   * rest are inserted without an id, a run of events as one row, and their runs of consecutive numbers
   * recorded. A batch from our SDK is one run: one range lookup, one id-range lookup and one range row per batch.
   */
  private insertCompact(rows: EventRow[], prefix: string, batch: number, conflicts: Rejection[]): number {
    const [lo, hi] = seqBounds(rows);
    const runs = this.runsBetween(prefix, lo, hi);
    const standard = this.idsBetween.all(eventIdOf(prefix, lo), eventIdOf(prefix, hi)) as StoredId[];
    let fresh = rows;
    if (runs.length > 0 || standard.length > 0) {
      const byId = new Map(standard.map((r) => [r.id, r]));
      const read = new Map<number, Map<string, StoredEvent>>();
      fresh = runRows(
        eventRows(rows).filter((row) => {
          const seq = row[0] as number;
          const id = eventIdOf(prefix, seq);
          const run = runOf(runs, seq);
          let prior: StoredId | undefined = byId.get(id);
          if (run) prior = this.storedCompactRow(read, run.batch, id);
          if (!prior) return run === undefined;
          const reason = conflictReason(prior, normalizeTraceId(row[1]), row, id);
          if (reason) conflicts.push({ index: row[7], reason });
          return false;
        }),
      );
    }
    for (let from = 0; from < fresh.length; from += ROWS_PER_INSERT) {
      this.insertRows(fresh, from, Math.min(ROWS_PER_INSERT, fresh.length - from), batch, true);
    }
    // The stored numbers as ranges of consecutive ones, each at most MAX_RUN long.
    const spans = fresh.map((row): [number, number] => [row[0] as number, (row[0] as number) + eventsIn(row) - 1]);
    spans.sort((a, b) => a[0] - b[0]);
    for (let i = 0; i < spans.length;) {
      const first = spans[i]![0];
      let last = spans[i++]![1];
      while (i < spans.length && spans[i]![0] === last + 1) last = spans[i++]![1];
      for (let from = first; from <= last; from += MAX_RUN)
        this.addRange.run(prefix, from, Math.min(last, from + MAX_RUN - 1), batch);
      this.rangePrefixes.add(prefix);
    }
    return eventCount(fresh);
  }

  /**
   * The stored columns of a compact batch's event, read back from its batch text (only when a repeat
   * arrives); `read` keeps the batches decoded so far.
   */
  private storedCompactRow(
    read: Map<number, Map<string, StoredEvent>>,
    batch: number,
    id: string,
  ): StoredId | undefined {
    let events = read.get(batch);
    if (!events) {
      const text = this.batchText.get(batch) as Buffer | string | undefined;
      const decoded = text === undefined ? [] : eventsOfBatchText<StoredEvent>(unpackBatchText(text));
      events = new Map(decoded.map((e) => [e.id, e]));
      read.set(batch, events);
    }
    const event = events.get(id);
    if (!event) return undefined;
    const [, traceId, kind, service, , , ts] = toEventRow(event, 0);
    return { id, trace_id: normalizeTraceId(traceId), kind, service, ts };
  }

  /**
   * Standard events whose id is that of an event a compact batch stored (the same events sent again in the
   * standard form): repeats or conflicts, told apart here, never stored twice.
   */
  private withoutCompactRepeats(rows: EventRow[], conflicts: Rejection[]): EventRow[] {
    if (this.rangePrefixes.size === 0) return rows;
    // Rows whose id is an SDK id under a prefix with compact events, by prefix: one range lookup each.
    const candidates = new Map<string, Array<{ row: EventRow; seq: number }>>();
    for (const row of rows) {
      const id = row[0] as string;
      if (id.length !== 36 || id[ID_PREFIX_LENGTH] !== '8') continue;
      const prefix = id.slice(0, ID_PREFIX_LENGTH);
      if (!this.rangePrefixes.has(prefix)) continue;
      const seq = Number.parseInt(id.slice(20, 23) + id.slice(24), 16);
      if (!(seq > 0) || eventIdOf(prefix, seq) !== id) continue;
      let list = candidates.get(prefix);
      if (!list) candidates.set(prefix, (list = []));
      list.push({ row, seq });
    }
    if (candidates.size === 0) return rows;
    const repeats = new Set<EventRow>();
    const read = new Map<number, Map<string, StoredEvent>>();
    for (const [prefix, list] of candidates) {
      const [lo, hi] = bounds(list.map((c) => c.seq));
      const runs = this.runsBetween(prefix, lo, hi);
      for (const { row, seq } of list) {
        const run = runOf(runs, seq);
        const id = row[0] as string;
        const prior = run && this.storedCompactRow(read, run.batch, id);
        if (!prior) continue;
        repeats.add(row);
        const reason = conflictReason(prior, normalizeTraceId(row[1]), row, id);
        if (reason) conflicts.push({ index: row[7], reason });
      }
    }
    return repeats.size === 0 ? rows : rows.filter((row) => !repeats.has(row));
  }

  /** The stored runs of `prefix` that hold any number in [lo, hi], by first number (runs are disjoint). */
  private runsBetween(prefix: string, lo: number, hi: number): StoredRange[] {
    // A run is at most MAX_RUN long, so one that reaches `lo` starts no earlier than this.
    return (this.rangesNear.all(prefix, lo - MAX_RUN + 1, hi) as StoredRange[]).filter((r) => r.last >= lo);
  }

  /**
   * Inserts `count` rows from `from`; returns how many were inserted. `compact`: the key is a sequence number
   * (not stored) and a row may stand for several events; else the key is the event's id.
   */
  private insertRows(rows: EventRow[], from: number, count: number, batch: number, compact: boolean): number {
    const values = new Array<unknown>(count * EVENT_COLUMNS);
    for (let i = 0; i < count; i++) {
      const [key, traceId, kind, service, span, upstream, ts, position] = rows[from + i]!;
      const at = i * EVENT_COLUMNS;
      values[at] = compact ? null : key;
      values[at + 1] = this.traceKey(traceId);
      values[at + 2] = kind;
      values[at + 3] = service;
      values[at + 4] = span;
      values[at + 5] = upstream;
      values[at + 6] = ts;
      values[at + 7] = batch;
      values[at + 8] = position;
      values[at + 9] = eventsIn(rows[from + i]!);
    }
    const changes = this.insertEventsStatement(count).run(values).changes;
    this.rowsWritten += changes;
    return changes;
  }

  private insertEventsStatement(rows: number): Database.Statement {
    let statement = this.insertEvents.get(rows);
    if (!statement) {
      const tuple = `(${new Array(EVENT_COLUMNS).fill('?').join(', ')})`;
      statement = this.db.prepare(
        `INSERT OR IGNORE INTO events (id, trace_key, kind, service, span, upstream_span, ts, batch, position, count) VALUES ${new Array(rows).fill(tuple).join(', ')}`,
      );
      this.insertEvents.set(rows, statement);
    }
    return statement;
  }

  /** The trace's integer key, created on first sight; cached by the id as received. */
  private traceKey(traceId: string): number {
    let key = this.traceKeys.get(traceId);
    if (key === undefined) {
      const id = normalizeTraceId(traceId);
      key = (this.findTrace.get(id) as number | undefined) ?? Number(this.addTrace.run(id).lastInsertRowid);
      if (this.traceKeys.size >= 100_000) this.traceKeys.clear();
      this.traceKeys.set(traceId, key);
    }
    return key;
  }

  insert(events: StoredEvent[]): BatchResult {
    return this.insertBatches([{ body: JSON.stringify({ events }), rows: events.map(toEventRow) }])[0]!;
  }

  /**
   * Rows of a chunk that were not inserted: the same id is already stored. A repeat of the same event (a
   * retry) is a duplicate; an id reused by an event of another trace, kind, service or time is a conflict,
   * refused by its position in the body.
   */
  private findConflicts(rows: EventRow[], from: number, count: number, batch: number, out: Rejection[]): void {
    let statement = this.storedIds.get(count);
    if (!statement) {
      statement = this.db.prepare(
        `SELECT e.id, t.trace_id, e.kind, e.service, e.ts, e.batch, e.position FROM events e JOIN traces t ON t.key = e.trace_key WHERE e.id IN (${new Array(count).fill('?').join(', ')})`,
      );
      this.storedIds.set(count, statement);
    }
    const stored = new Map<string, StoredId & { batch: number; position: number }>();
    for (const row of statement.all(...rows.slice(from, from + count).map((r) => r[0])) as Array<
      StoredId & { batch: number; position: number }
    >)
      stored.set(row.id, row);
    for (let i = from; i < from + count; i++) {
      const row = rows[i]!;
      const id = row[0] as string;
      const prior = stored.get(id);
      if (!prior || (prior.batch === batch && prior.position === row[7])) continue; // this row was inserted
      const reason = conflictReason(prior, normalizeTraceId(row[1]), row, id);
      if (reason) out.push({ index: row[7], reason });
    }
  }

  /** Throws a storage fault when the file on disk is no longer the one this connection writes to. */
  private checkFile(): void {
    if (!this.identity) return;
    let now: { dev: number; ino: number } | undefined;
    try {
      now = statSync(this.file);
    } catch {
      now = undefined;
    }
    if (!now || now.dev !== this.identity.dev || now.ino !== this.identity.ino) {
      throw codedError(
        `the database file ${this.file} was deleted or replaced while the server was running; nothing more can be stored in it (restart raceway serve to start a new one)`,
        STORE_FILE_GONE,
      );
    }
  }

  /**
   * After a storage fault: whether the store can write again. The file must still be ours, its file
   * system must have room (a write of one page can succeed on a disk that the next batch fills again),
   * and a small write must commit.
   */
  probeWrite(): void {
    this.checkFile();
    if (this.identity) {
      const fs = statfsSync(path.dirname(path.resolve(this.file)));
      if (fs.bavail * fs.bsize < PROBE_MIN_FREE_BYTES)
        throw codedError(
          `less than ${PROBE_MIN_FREE_BYTES >> 20} MiB free on the file system of ${this.file}`,
          'SQLITE_FULL',
        );
    }
    this.touch.run();
  }

  insertBatches(batches: IngestBatch[]): BatchResult[] {
    let counts: number[];
    const conflicts: Rejection[][] = batches.map(() => []);
    this.checkFile();
    try {
      const bodies = batches.map(({ body, rows }) => (rows.length === 0 ? null : storedBody(body)));
      this.rowsWritten = 0;
      counts = this.writeMany(batches, bodies, conflicts);
    } catch (error) {
      this.traceKeys.clear(); // the transaction rolled back: cached keys may name uncommitted traces
      throw error;
    }
    const written = this.rowsWritten;
    this.unindexed += written;
    if (this.unindexed >= this.indexEvery) {
      const indexed = this.indexTail(written + this.indexStep);
      this.unindexed = Math.max(0, this.unindexed - indexed);
    }
    return counts.map((inserted, i) => ({
      inserted,
      duplicates: eventCount(batches[i]!.rows) - inserted - conflicts[i]!.length,
      ...(conflicts[i]!.length ? { conflicts: conflicts[i]! } : {}),
    }));
  }

  /** Moves the tail into the per-trace index and summary now (the writer also calls this before closing). */
  indexPending(): void {
    this.indexTail(Number.MAX_SAFE_INTEGER);
    this.unindexed = 0;
  }

  /** The events of `rows` (`[batch, position, count]`), read back in order. */
  private *expand(rows: Iterable<[number, number, number]>): Iterable<StoredEvent> {
    const read = this.reader();
    for (const [batch, position, count] of rows) {
      for (let i = 0; i < count; i++) yield read(batch, position + i);
    }
  }

  /** Reads events back from their batches' text, parsing each batch once while its events come in a row. */
  private reader(): (batch: number, position: number) => StoredEvent {
    const cache = new Map<number, StoredEvent[]>();
    return (batch, position) => {
      let events = cache.get(batch);
      if (!events) {
        if (cache.size >= 16) cache.clear();
        events = eventsOfBatchText<StoredEvent>(unpackBatchText(this.batchText.get(batch) as Buffer | string));
        cache.set(batch, events);
      }
      return events[position]!;
    };
  }

  allEvents(kinds?: string[]): Iterable<StoredEvent> {
    const sql = kinds?.length
      ? `SELECT batch, position, count FROM events WHERE kind IN (${kinds.map(() => '?').join(',')}) ORDER BY seq`
      : 'SELECT batch, position, count FROM events ORDER BY seq';
    return this.expand(
      this.db
        .prepare(sql)
        .raw()
        .iterate(...(kinds ?? [])) as Iterable<[number, number, number]>,
    );
  }

  position(): { lastSeq: number; events: number } {
    const row = this.db
      .prepare(
        "SELECT (SELECT seq FROM sqlite_sequence WHERE name = 'events') AS last, (SELECT value FROM store_state WHERE name = 'events') AS events",
      )
      .get() as { last: number | null; events: number };
    return { lastSeq: row.last ?? 0, events: row.events };
  }

  countBetween(afterSeq: number, throughSeq: number): number {
    return this.db
      .prepare('SELECT coalesce(sum(count), 0) FROM events WHERE seq > ? AND seq <= ?')
      .pluck()
      .get(afterSeq, throughSeq) as number;
  }

  eventsBetween(afterSeq: number, throughSeq: number, kinds?: string[]): Iterable<StoredEvent> {
    const filter = kinds?.length ? ` AND kind IN (${kinds.map(() => '?').join(',')})` : '';
    return this.expand(
      this.db
        .prepare(`SELECT batch, position, count FROM events WHERE seq > ? AND seq <= ?${filter} ORDER BY seq`)
        .raw()
        .iterate(afterSeq, throughSeq, ...(kinds ?? [])) as Iterable<[number, number, number]>,
    );
  }

  traceEvents(traceId: string): StoredEvent[] {
    const key = this.findTrace.get(normalizeTraceId(traceId)) as number | undefined;
    if (key === undefined) return [];
    const rows = this.db
      .prepare(
        `SELECT batch, position, count FROM events WHERE seq IN (
           SELECT seq FROM trace_events WHERE trace_key = @key
           UNION SELECT seq FROM events WHERE trace_key = @key AND seq > (SELECT value FROM store_state WHERE name = 'indexed_through'))
         ORDER BY seq`,
      )
      .raw()
      .all({ key }) as Array<[number, number, number]>;
    return [...this.expand(rows)];
  }

  traces(page: number, pageSize: number, service?: string): { traces: TraceSummary[]; total: number } {
    const perTrace = `WITH ${TRACE_ROWS},
      per_trace AS (
        SELECT trace_key, group_concat(DISTINCT service) AS services, sum(events) AS events, min(first_ts) AS first, max(last_ts) AS last, max(latest_seq) AS latest
        FROM trace_rows GROUP BY trace_key ${service ? 'HAVING max(service = ?)' : ''}
      )`;
    const args = service ? [service] : [];
    return this.db.transaction(() => {
      const total = this.db
        .prepare(`${perTrace} SELECT count(*) FROM per_trace`)
        .pluck()
        .get(...args) as number;
      const rows = this.db
        .prepare(
          `${perTrace} SELECT t.trace_id, p.services, p.events, p.first, p.last FROM per_trace p JOIN traces t ON t.key = p.trace_key ORDER BY p.latest DESC LIMIT ? OFFSET ?`,
        )
        .all(...args, pageSize, (page - 1) * pageSize) as Array<{
        trace_id: string;
        services: string;
        events: number;
        first: string;
        last: string;
      }>;
      return {
        total,
        traces: rows.map((r) => ({
          traceId: r.trace_id,
          services: [...new Set(r.services.split(','))].sort(),
          events: r.events,
          firstSeen: r.first,
          lastSeen: r.last,
        })),
      };
    })();
  }

  services(): ServiceSummary[] {
    return this.db
      .prepare(
        `WITH ${TRACE_ROWS} SELECT service AS name, sum(events) AS events, count(DISTINCT trace_key) AS traces FROM trace_rows GROUP BY service ORDER BY service`,
      )
      .all() as ServiceSummary[];
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

  changeMark(): string {
    // AUTOINCREMENT's counter only grows with inserts; the count moves with prunes.
    const row = this.db
      .prepare(
        "SELECT (SELECT seq FROM sqlite_sequence WHERE name = 'events') AS last, (SELECT value FROM store_state WHERE name = 'events') AS events",
      )
      .get() as { last: number | null; events: number };
    return `${row.last ?? 0}:${row.events}`;
  }

  counts(): { events: number; traces: number } {
    return this.db
      .prepare(
        "SELECT (SELECT value FROM store_state WHERE name = 'events') AS events, (SELECT count(*) FROM traces) AS traces",
      )
      .get() as { events: number; traces: number };
  }

  prune(cutoffMs: number): number {
    this.indexPending(); // every event is then in the summary, which knows when each trace was last seen
    const removed = this.db.transaction(() => {
      this.db.exec('CREATE TEMP TABLE IF NOT EXISTS pruned (trace_key INTEGER PRIMARY KEY); DELETE FROM pruned;');
      // Batch keys grow with arrival, so a trace's newest batch tells when it was last seen.
      this.db
        .prepare(
          'INSERT INTO pruned SELECT s.trace_key FROM (SELECT trace_key, max(latest_batch) AS latest FROM trace_services GROUP BY trace_key) s JOIN batches b ON b.key = s.latest WHERE b.received_at < ?',
        )
        .run(cutoffMs);
      const doomed = 'SELECT seq FROM trace_events WHERE trace_key IN (SELECT trace_key FROM pruned)';
      const n = this.db
        .prepare(`SELECT coalesce(sum(count), 0) FROM events WHERE seq IN (${doomed})`)
        .pluck()
        .get() as number;
      this.db.prepare(`DELETE FROM events WHERE seq IN (${doomed})`).run();
      if (n > 0) {
        this.db.exec(`
          DELETE FROM trace_events WHERE trace_key IN (SELECT trace_key FROM pruned);
          DELETE FROM trace_services WHERE trace_key IN (SELECT trace_key FROM pruned);
          DELETE FROM traces WHERE key IN (SELECT trace_key FROM pruned);
          DELETE FROM batches WHERE key NOT IN (SELECT batch FROM events);
          DELETE FROM sequence_ranges WHERE batch NOT IN (SELECT key FROM batches);`);
        this.countEvents.run(-n);
      }
      this.db.exec('DELETE FROM pruned');
      return n;
    })();
    this.traceKeys.clear();
    return removed;
  }

  close(): void {
    this.db.close();
  }
}

/** A stored run of consecutive sequence numbers of one compact id prefix. */
interface StoredRange {
  first: number;
  last: number;
  batch: number;
}

/** The smallest and largest sequence number of compact rows (each row's last is `key + count - 1`). */
function seqBounds(rows: EventRow[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const row of rows) {
    const seq = row[0] as number;
    if (seq < lo) lo = seq;
    if (seq + eventsIn(row) - 1 > hi) hi = seq + eventsIn(row) - 1;
  }
  return [lo, hi];
}

/** The smallest and largest of `numbers` (a loop: spreading a large batch into Math.min overflows the stack). */
function bounds(numbers: number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const n of numbers) {
    if (n < lo) lo = n;
    if (n > hi) hi = n;
  }
  return [lo, hi];
}

/** The run among `runs` (sorted by first number, disjoint) that holds `seq`. */
function runOf(runs: StoredRange[], seq: number): StoredRange | undefined {
  let lo = 0;
  let hi = runs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const run = runs[mid]!;
    if (seq < run.first) hi = mid - 1;
    else if (seq > run.last) lo = mid + 1;
    else return run;
  }
  return undefined;
}

/** Trace ids are kept in lowercase UUID form, whatever form they arrived in. */
export function normalizeTraceId(traceId: string): string {
  const hex = traceId.replace(/-/g, '').toLowerCase();
  return hex.length === 32
    ? `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
    : traceId.toLowerCase();
}
