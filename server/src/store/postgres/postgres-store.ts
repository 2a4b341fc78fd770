import pg from 'pg';
import type { PoolClient } from 'pg';
import { eventsOfBatchText, storedBody, unpackBatchText } from '../batch-text.js';
import { toEventRow } from '../event-row.js';
import type { EventStore, ServiceEdge, ServiceSummary, StoredEvent, TraceSummary } from '../event-store.js';
import type { BatchResult, EventRow, IngestBatch, Rejection } from '../ingest-batch.js';
import { eventIdOfRow, eventRows } from '../ingest-batch.js';
import { normalizeTraceId } from '../sqlite-store.js';
import { conflictReason } from '../repeated-event.js';
import type { StoredId } from '../repeated-event.js';
import { asStorageFault } from './faults.js';
import {
  LOCK_SPACE,
  LOCKS,
  migrate,
  newerSchemaError,
  PARTITIONED,
  partitionName,
  PG_SCHEMA_VERSION,
  schemaVersion,
} from './schema.js';

const DAY_MS = 86_400_000;
/**
 * How long after it was first sent an event can come again: retries of our SDK end within a minute. Early in a
 * day, repeats are also looked for in yesterday's partition.
 */
const RETRY_WINDOW_MS = 3_600_000;
/** Rows read per round trip when events are streamed (analysis). */
const PAGE_ROWS = 10_000;

export interface PostgresStoreOptions {
  /** Bring the layout up to date (the server process does; its threads open without). Default true. */
  migrate?: boolean;
  /** Connections in the pool (default 8). */
  maxConnections?: number;
  /** The clock that decides an event's day partition (tests move it). */
  now?: () => number;
}

/** A `postgres://` URL, with an optional `schema` parameter naming the schema to use (created if missing). */
function connectionConfig(
  url: string,
  maxConnections: number,
): { config: pg.PoolConfig; schema?: string; where: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(
      `not a PostgreSQL URL: "${url.replace(/:[^:@/]*@/, ':***@')}" (expected postgres://user@host:5432/database)`,
    );
  }
  const schema = parsed.searchParams.get('schema') ?? undefined;
  parsed.searchParams.delete('schema');
  if (schema !== undefined && !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema))
    throw new Error(`the schema parameter must be a plain SQL identifier, got "${schema}"`);
  const where = `${parsed.hostname || 'localhost'}:${parsed.port || 5432}${parsed.pathname}`;
  return {
    config: {
      connectionString: parsed.toString(),
      max: maxConnections,
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30_000,
      // A database that accepts connections but does not answer is as unavailable as one that refuses them.
      query_timeout: 60_000,
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
    },
    ...(schema ? { schema } : {}),
    where,
  };
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * Creates `schema` unless it exists, under the migration lock: `CREATE SCHEMA IF NOT EXISTS` alone is not
 * safe against another server creating it at the same moment (one of them fails on the catalog's index).
 */
async function createSchema(client: PoolClient, schema: string): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_SPACE, LOCKS.migrate]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${ident(schema)}`);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * PostgreSQL shared by several `raceway serve` instances. Each `insertBatches` call is one transaction,
 * committed before it returns. Writers take the lock of the one `raceway_state` row first: sequence numbers
 * are then committed in order on every instance (what the incremental analysis reads by), and the check for
 * repeated ids sees every earlier commit. Days are partitions: retention drops them whole. Reads are plain
 * queries any instance can answer; the analysis reads events by sequence number, in pages.
 */
export class PostgresStore implements EventStore {
  private readonly pool: pg.Pool;
  private readonly ready: Promise<void>;
  private readonly knownDays = new Set<number>();
  private readonly now: () => number;
  /** Where the database is, for messages (no password). */
  readonly where: string;

  constructor(url: string, options: PostgresStoreOptions = {}) {
    const { config, schema, where } = connectionConfig(url, options.maxConnections ?? 8);
    this.where = where;
    this.now = options.now ?? Date.now;
    this.pool = new pg.Pool(config);
    // An idle connection the database closed (a restart): the pool replaces it; the next query says what failed.
    this.pool.on('error', () => undefined);
    this.ready = this.prepare(schema, options.migrate ?? true);
    this.ready.catch(() => undefined);
  }

  /** A store whose layout is up to date, or the reason it cannot be used. */
  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const store = new PostgresStore(url, options);
    try {
      await store.ready;
    } catch (error) {
      await store.pool.end().catch(() => undefined);
      throw error;
    }
    return store;
  }

  private async prepare(schema: string | undefined, migrateLayout: boolean): Promise<void> {
    const client = await this.connect();
    try {
      if (schema && migrateLayout) await createSchema(client, schema);
      if (migrateLayout) await migrate(client);
      else {
        const version = await schemaVersion(client);
        if (version > PG_SCHEMA_VERSION) throw newerSchemaError(version);
        if (version < PG_SCHEMA_VERSION)
          throw new Error(
            `the PostgreSQL database at ${this.where} has no Raceway layout yet (start raceway serve on it first)`,
          );
      }
    } catch (error) {
      throw asStorageFault(error, this.where);
    } finally {
      client.release();
    }
  }

  private async connect(): Promise<PoolClient> {
    try {
      return await this.pool.connect();
    } catch (error) {
      throw asStorageFault(error, this.where);
    }
  }

  /** Runs `work` on one connection once the layout is ready; unavailability becomes a storage fault. */
  private async use<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    await this.ready;
    const client = await this.connect();
    let broken = false;
    try {
      return await work(client);
    } catch (error) {
      const fault = asStorageFault(error, this.where);
      broken = fault !== error;
      throw fault;
    } finally {
      client.release(broken ? true : undefined);
    }
  }

  private async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    return this.use(async (client) => {
      await client.query('BEGIN');
      try {
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
  }

  private today(): number {
    return Math.floor(this.now() / DAY_MS);
  }

  /**
   * Creates the partitions of `day` and the next day if missing. Short transactions of their own under an
   * advisory lock (servers starting a day together create it once), never inside a write.
   */
  private async ensureDays(day: number): Promise<void> {
    if (this.knownDays.has(day) && this.knownDays.has(day + 1)) return;
    await this.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_SPACE, LOCKS.partitions]);
      for (const d of [day, day + 1]) {
        for (const table of PARTITIONED)
          await client.query(
            `CREATE TABLE IF NOT EXISTS ${ident(partitionName(table, d))} PARTITION OF ${table} FOR VALUES FROM (${d}) TO (${d + 1})`,
          );
        await client.query('INSERT INTO raceway_days (day, events) VALUES ($1, 0) ON CONFLICT (day) DO NOTHING', [d]);
      }
    });
    this.knownDays.add(day);
    this.knownDays.add(day + 1);
  }

  insert(events: StoredEvent[]): Promise<BatchResult> {
    return this.insertBatches([{ body: JSON.stringify({ events }), rows: events.map(toEventRow) }]).then((r) => r[0]!);
  }

  async insertBatches(received: IngestBatch[]): Promise<BatchResult[]> {
    // Every event here is stored under its id: a compact batch's rows get theirs from prefix and number.
    const batches = received.map((batch) =>
      batch.idPrefix === undefined
        ? batch
        : {
            body: batch.body,
            rows: eventRows(batch.rows).map((row): EventRow => {
              const withId: EventRow = [...row];
              withId[0] = eventIdOfRow(row, batch.idPrefix);
              return withId;
            }),
          },
    );
    if (batches.every((b) => b.rows.length === 0)) return batches.map(() => ({ inserted: 0, duplicates: 0 }));
    const day = this.today();
    await this.ensureDays(day);
    const bodies = batches.map(({ body, rows }) => (rows.length === 0 ? null : storedBody(body)));
    return this.transaction(async (client) => {
      const state = await client.query<{ last_seq: string; last_batch: string }>(
        'SELECT last_seq, last_batch FROM raceway_state WHERE id = 1 FOR UPDATE',
      );
      let seq = Number(state.rows[0]!.last_seq);
      let batchKey = Number(state.rows[0]!.last_batch);
      // Ids seen before this insert: earlier in this group, or (early in a day) in yesterday's partition,
      // where a retry sent just before midnight was stored. Today's repeats are found by the unique index.
      const known = new Map<string, StoredId>();
      if (this.now() % DAY_MS < RETRY_WINDOW_MS) {
        const found = await client.query<StoredId>(
          'SELECT id, trace_id, kind, service, ts FROM events WHERE day = $1 AND id = ANY($2::text[])',
          [day - 1, batches.flatMap((b) => b.rows.map((r) => r[0]))],
        );
        for (const row of found.rows) known.set(row.id, row);
      }
      const columns = {
        seq: [] as number[],
        id: [] as string[],
        trace: [] as string[],
        kind: [] as string[],
        service: [] as string[],
        span: [] as Array<string | null>,
        upstream: [] as Array<string | null>,
        ts: [] as string[],
        batch: [] as number[],
        position: [] as number[],
      };
      /** Per candidate row (by index in `columns`): its batch and row. */
      const candidates: Array<{ batch: number; row: EventRow; trace: string }> = [];
      const conflicts: Rejection[][] = batches.map(() => []);
      const keys = batches.map(({ rows }) => (rows.length ? ++batchKey : 0));
      batches.forEach(({ rows }, b) => {
        for (const row of rows) {
          const [, traceId, kind, service, span, upstream, ts, position] = row;
          const id = row[0] as string; // every row has its id here (compact rows were given theirs above)
          const trace = normalizeTraceId(traceId);
          const prior = known.get(id);
          if (prior) {
            const reason = conflictReason(prior, trace, row, id);
            if (reason) conflicts[b]!.push({ index: position, reason });
            continue;
          }
          known.set(id, { id, trace_id: trace, kind, service, ts });
          candidates.push({ batch: b, row, trace });
          columns.seq.push(++seq);
          columns.id.push(id);
          columns.trace.push(trace);
          columns.kind.push(kind);
          columns.service.push(service);
          columns.span.push(span);
          columns.upstream.push(upstream);
          columns.ts.push(ts);
          columns.batch.push(keys[b]!);
          columns.position.push(position);
        }
      });
      // One statement: the rows (a repeat of today's is skipped by the unique index) and the day's summary per
      // trace and service of what was inserted (what trace lists and service views read).
      const inserted = candidates.length
        ? await client.query<{ seq: string }>(
            `WITH ins AS (
               INSERT INTO events (day, seq, id, trace_id, kind, service, span, upstream_span, ts, batch, position)
               SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::bigint[], $11::int[])
               ON CONFLICT (id, day) DO NOTHING
               RETURNING seq, trace_id, service, ts
             ), summary AS (
               INSERT INTO trace_days (day, trace_id, service, events, first_ts, last_ts, latest_seq)
               SELECT $1, trace_id, service, count(*), min(ts), max(ts), max(seq) FROM ins GROUP BY trace_id, service
               ON CONFLICT (trace_id, service, day) DO UPDATE SET
                 events = trace_days.events + excluded.events,
                 first_ts = least(trace_days.first_ts, excluded.first_ts),
                 last_ts = greatest(trace_days.last_ts, excluded.last_ts),
                 latest_seq = greatest(trace_days.latest_seq, excluded.latest_seq)
             )
             SELECT seq FROM ins`,
            [
              day,
              columns.seq,
              columns.id,
              columns.trace,
              columns.kind,
              columns.service,
              columns.span,
              columns.upstream,
              columns.ts,
              columns.batch,
              columns.position,
            ],
          )
        : { rows: [] };
      const first = columns.seq[0] ?? 0;
      const stored = new Uint8Array(candidates.length);
      for (const r of inserted.rows) stored[Number(r.seq) - first] = 1;
      const skipped = candidates.filter((_, i) => !stored[i]);
      if (skipped.length) {
        // Already stored today: the same event again (a retry) or another event under a used id.
        const found = await client.query<StoredId>(
          'SELECT id, trace_id, kind, service, ts FROM events WHERE day = $1 AND id = ANY($2::text[])',
          [day, skipped.map((c) => c.row[0])],
        );
        const prior = new Map(found.rows.map((r) => [r.id, r]));
        for (const c of skipped) {
          const reason = conflictReason(prior.get(c.row[0] as string)!, c.trace, c.row, c.row[0] as string);
          if (reason) conflicts[c.batch]!.push({ index: c.row[7], reason });
        }
      }
      const counts = batches.map(() => 0);
      candidates.forEach((c, i) => {
        if (stored[i]) counts[c.batch]!++;
      });
      const total = inserted.rows.length;
      if (total > 0) {
        // A batch whose events were all repeats keeps no second copy of its text.
        const kept = batches.map((_, b) => b).filter((b) => counts[b]! > 0);
        await client.query(
          'INSERT INTO batches (day, key, received_at, body) SELECT $1, k, $2, b FROM unnest($3::bigint[], $4::bytea[]) AS t(k, b)',
          [day, this.now(), kept.map((b) => keys[b]), kept.map((b) => bodies[b])],
        );
        await client.query('UPDATE raceway_state SET last_seq = $1, last_batch = $2 WHERE id = 1', [seq, batchKey]);
        await client.query('UPDATE raceway_days SET events = events + $2 WHERE day = $1', [day, total]);
      }
      return batches.map((batch, b) => {
        const rejected = conflicts[b]!.sort((x, y) => x.index - y.index);
        return {
          inserted: counts[b]!,
          duplicates: batch.rows.length - counts[b]! - rejected.length,
          ...(rejected.length ? { conflicts: rejected } : {}),
        };
      });
    });
  }

  /** A write that changes nothing: fails while the database is unreachable or read-only. */
  async probeWrite(): Promise<void> {
    await this.use(async (client) => {
      await client.query('UPDATE raceway_state SET prune_epoch = prune_epoch WHERE id = 1');
    });
  }

  /** Reads events back from their batches' text, each batch fetched and parsed once per page. */
  private async readRows(client: PoolClient, rows: Array<{ batch: string; position: number }>): Promise<StoredEvent[]> {
    const keys = [...new Set(rows.map((r) => r.batch))];
    const texts = await client.query<{ key: string; body: Buffer }>(
      'SELECT key, body FROM batches WHERE key = ANY($1::bigint[])',
      [keys],
    );
    const parsed = new Map<string, StoredEvent[]>();
    for (const { key, body } of texts.rows) parsed.set(key, eventsOfBatchText<StoredEvent>(unpackBatchText(body)));
    const out: StoredEvent[] = [];
    for (const r of rows) {
      const event = parsed.get(r.batch)?.[r.position];
      if (event) out.push(event); // its day was dropped by retention meanwhile
    }
    return out;
  }

  /** Events in sequence order, `PAGE_ROWS` per query (the pages are separate snapshots: later commits may show). */
  private async *stream(
    afterSeq: number,
    throughSeq: number | undefined,
    kinds?: string[],
  ): AsyncIterable<StoredEvent> {
    let from = afterSeq;
    for (;;) {
      const page = await this.use(async (client) => {
        const rows = await client.query<{ seq: string; batch: string; position: number }>(
          `SELECT seq, batch, position FROM events
           WHERE seq > $1 ${throughSeq === undefined ? '' : 'AND seq <= $3'} ${kinds?.length ? 'AND kind = ANY($2::text[])' : 'AND $2::text[] IS NULL'}
           ORDER BY seq LIMIT ${PAGE_ROWS}`,
          throughSeq === undefined
            ? [from, kinds?.length ? kinds : null]
            : [from, kinds?.length ? kinds : null, throughSeq],
        );
        return { rows: rows.rows, events: rows.rows.length ? await this.readRows(client, rows.rows) : [] };
      });
      yield* page.events;
      if (page.rows.length < PAGE_ROWS) return;
      from = Number(page.rows[page.rows.length - 1]!.seq);
    }
  }

  allEvents(kinds?: string[]): AsyncIterable<StoredEvent> {
    return this.stream(0, undefined, kinds);
  }

  eventsBetween(afterSeq: number, throughSeq: number, kinds?: string[]): AsyncIterable<StoredEvent> {
    return this.stream(afterSeq, throughSeq, kinds);
  }

  async position(): Promise<{ lastSeq: number; events: number }> {
    return this.use(async (client) => {
      const row = await client.query<{ last_seq: string; events: string }>(
        'SELECT last_seq, (SELECT coalesce(sum(events), 0) FROM raceway_days) AS events FROM raceway_state WHERE id = 1',
      );
      return { lastSeq: Number(row.rows[0]!.last_seq), events: Number(row.rows[0]!.events) };
    });
  }

  async countBetween(afterSeq: number, throughSeq: number): Promise<number> {
    return this.use(async (client) => {
      const row = await client.query<{ n: string }>('SELECT count(*) AS n FROM events WHERE seq > $1 AND seq <= $2', [
        afterSeq,
        throughSeq,
      ]);
      return Number(row.rows[0]!.n);
    });
  }

  async changeMark(): Promise<string> {
    return this.use(async (client) => {
      const row = await client.query<{ mark: string }>(
        "SELECT last_seq || ':' || (SELECT coalesce(sum(events), 0) FROM raceway_days) || ':' || prune_epoch AS mark FROM raceway_state WHERE id = 1",
      );
      return row.rows[0]!.mark;
    });
  }

  async traceEvents(traceId: string): Promise<StoredEvent[]> {
    return this.use(async (client) => {
      const rows = await client.query<{ batch: string; position: number }>(
        'SELECT batch, position FROM events WHERE trace_id = $1 ORDER BY seq',
        [normalizeTraceId(traceId)],
      );
      return rows.rows.length ? this.readRows(client, rows.rows) : [];
    });
  }

  async traces(page: number, pageSize: number, service?: string): Promise<{ traces: TraceSummary[]; total: number }> {
    return this.use(async (client) => {
      const perTrace = `per_trace AS (
        SELECT trace_id, array_agg(DISTINCT service ORDER BY service) AS services, sum(events) AS events,
               min(first_ts) AS first, max(last_ts) AS last, max(latest_seq) AS latest
        FROM trace_days GROUP BY trace_id ${service !== undefined ? 'HAVING bool_or(service = $1)' : ''})`;
      const args = service !== undefined ? [service] : [];
      const total = await client.query<{ n: string }>(`WITH ${perTrace} SELECT count(*) AS n FROM per_trace`, args);
      const rows = await client.query<{
        trace_id: string;
        services: string[];
        events: string;
        first: string;
        last: string;
      }>(
        `WITH ${perTrace} SELECT trace_id, services, events, first, last FROM per_trace ORDER BY latest DESC
         LIMIT $${args.length + 1} OFFSET $${args.length + 2}`,
        [...args, pageSize, (page - 1) * pageSize],
      );
      return {
        total: Number(total.rows[0]!.n),
        traces: rows.rows.map((r) => ({
          traceId: r.trace_id,
          services: r.services,
          events: Number(r.events),
          firstSeen: r.first,
          lastSeen: r.last,
        })),
      };
    });
  }

  async services(): Promise<ServiceSummary[]> {
    return this.use(async (client) => {
      const rows = await client.query<{ name: string; events: string; traces: string }>(
        'SELECT service AS name, sum(events) AS events, count(DISTINCT trace_id) AS traces FROM trace_days GROUP BY service ORDER BY service',
      );
      return rows.rows.map((r) => ({ name: r.name, events: Number(r.events), traces: Number(r.traces) }));
    });
  }

  async edges(): Promise<ServiceEdge[]> {
    return this.use(async (client) => {
      // A callee's first event names the caller's span as its upstream: one edge per distinct (trace, callee span).
      const rows = await client.query<{ from: string; to: string; calls: string }>(
        `SELECT caller.service AS "from", callee.service AS "to", count(*) AS calls FROM
           (SELECT DISTINCT trace_id, span, upstream_span, service FROM events WHERE upstream_span IS NOT NULL) AS callee
           JOIN (SELECT DISTINCT trace_id, span, service FROM events WHERE span IS NOT NULL) AS caller
             ON caller.trace_id = callee.trace_id AND caller.span = callee.upstream_span
         GROUP BY caller.service, callee.service ORDER BY calls DESC, 1, 2`,
      );
      return rows.rows.map((r) => ({ from: r.from, to: r.to, calls: Number(r.calls) }));
    });
  }

  async counts(): Promise<{ events: number; traces: number }> {
    return this.use(async (client) => {
      const row = await client.query<{ events: string; traces: string }>(
        'SELECT (SELECT coalesce(sum(events), 0) FROM raceway_days) AS events, (SELECT count(DISTINCT trace_id) FROM trace_days) AS traces',
      );
      return { events: Number(row.rows[0]!.events), traces: Number(row.rows[0]!.traces) };
    });
  }

  /**
   * Drops the days that ended before `cutoffMs` (whole partitions: a day is kept until all of it is older
   * than the cutoff). One server at a time: the others skip while one prunes.
   */
  async prune(cutoffMs: number): Promise<number> {
    const lastDropped = Math.floor(cutoffMs / DAY_MS) - 1;
    return this.transaction(async (client) => {
      const locked = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1, $2) AS ok', [
        LOCK_SPACE,
        LOCKS.retention,
      ]);
      if (!locked.rows[0]!.ok) return 0;
      const days = await client.query<{ day: number; events: string }>(
        'SELECT day, events FROM raceway_days WHERE day <= $1 ORDER BY day',
        [lastDropped],
      );
      if (days.rows.length === 0) return 0;
      // The state row's lock orders the drop with writes, and the new epoch tells analyses to start over.
      await client.query('UPDATE raceway_state SET prune_epoch = prune_epoch + 1 WHERE id = 1');
      let removed = 0;
      for (const { day, events } of days.rows) {
        for (const table of PARTITIONED) await client.query(`DROP TABLE IF EXISTS ${ident(partitionName(table, day))}`);
        await client.query('DELETE FROM raceway_days WHERE day = $1', [day]);
        this.knownDays.delete(day);
        removed += Number(events);
      }
      return removed;
    });
  }

  async close(): Promise<void> {
    await this.ready.catch(() => undefined);
    await this.pool.end();
  }
}
