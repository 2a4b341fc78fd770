import type { PoolClient } from 'pg';

/** The layout `PostgresStore` reads and writes (`raceway_schema.version`). */
export const PG_SCHEMA_VERSION = 1;

/** Advisory lock keys (two int4s: "rway", then the purpose). */
export const LOCK_SPACE = 0x72776179;
export const LOCKS = { migrate: 1, partitions: 2, retention: 3 } as const;

/**
 * Migrations, each bringing the layout from version i to i + 1. Never edit one that has shipped:
 * add the next. Each runs in the transaction that records its version.
 *
 * Version 1:
 * - `events`, `batches` and `trace_days` are partitioned by the day the server received the event
 *   (`day` = days since 1970-01-01, UTC), so retention drops whole partitions.
 * - `batches` keeps each request's JSON text as it arrived (compressed); `events` has a narrow row per event
 *   for the columns queries filter on, and says where in its batch the event is.
 * - `raceway_state` is one row: the newest sequence number and batch key given, and how often retention
 *   ran. Every write takes its lock first, so sequence numbers are committed in order (a reader that has
 *   seen sequence n has seen everything below it) and idempotency checks see every earlier commit.
 * - `raceway_days` counts the events of each day's partition.
 * - Text is compared bytewise (`COLLATE "C"`): ids, trace ids and names are compared for equality, never
 *   sorted for people, and a locale's collation costs several times more per index probe.
 * - `seq` only grows, so a BRIN index (a few pages) serves the analysis' range reads.
 */
const MIGRATIONS: string[] = [
  `
  CREATE TABLE raceway_state (
    id int PRIMARY KEY CHECK (id = 1),
    last_seq bigint NOT NULL,
    last_batch bigint NOT NULL,
    prune_epoch bigint NOT NULL
  );
  INSERT INTO raceway_state VALUES (1, 0, 0, 0);
  CREATE TABLE raceway_days (day int PRIMARY KEY, events bigint NOT NULL);
  CREATE TABLE batches (
    day int NOT NULL,
    key bigint NOT NULL,
    received_at bigint NOT NULL,
    body bytea NOT NULL,
    PRIMARY KEY (key, day)
  ) PARTITION BY RANGE (day);
  CREATE TABLE events (
    day int NOT NULL,
    seq bigint NOT NULL,
    id text COLLATE "C" NOT NULL,
    trace_id text COLLATE "C" NOT NULL,
    kind text COLLATE "C" NOT NULL,
    service text COLLATE "C" NOT NULL,
    span text COLLATE "C",
    upstream_span text COLLATE "C",
    ts text COLLATE "C" NOT NULL,
    batch bigint NOT NULL,
    position int NOT NULL
  ) PARTITION BY RANGE (day);
  CREATE INDEX events_seq ON events USING brin (seq);
  CREATE UNIQUE INDEX events_id ON events (id, day);
  CREATE INDEX events_trace ON events (trace_id, seq);
  CREATE TABLE trace_days (
    day int NOT NULL,
    trace_id text COLLATE "C" NOT NULL,
    service text COLLATE "C" NOT NULL,
    events bigint NOT NULL,
    first_ts text COLLATE "C" NOT NULL,
    last_ts text COLLATE "C" NOT NULL,
    latest_seq bigint NOT NULL,
    PRIMARY KEY (trace_id, service, day)
  ) PARTITION BY RANGE (day);
  `,
];

/** The partitioned tables, each with one partition per day. */
export const PARTITIONED = ['events', 'batches', 'trace_days'] as const;

export const partitionName = (table: string, day: number): string => `${table}_d${day}`;

/** Reads the layout's version; 0 when the database has none yet. */
export async function schemaVersion(client: PoolClient): Promise<number> {
  const exists = await client.query<{ present: boolean }>(
    "SELECT to_regclass('raceway_schema') IS NOT NULL AS present",
  );
  if (!exists.rows[0]!.present) return 0;
  const row = await client.query<{ version: number }>('SELECT version FROM raceway_schema');
  return row.rows[0]?.version ?? 0;
}

export function newerSchemaError(found: number): Error {
  return new Error(
    `this PostgreSQL database was written by a newer Raceway server (store layout ${found}, this server reads ${PG_SCHEMA_VERSION}); upgrade the server or use another database`,
  );
}

/**
 * Brings the database to PG_SCHEMA_VERSION, one migration per transaction, under an advisory lock so that
 * servers starting together migrate once. A database written by a newer server is refused.
 */
export async function migrate(client: PoolClient): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_SPACE, LOCKS.migrate]);
    await client.query('CREATE TABLE IF NOT EXISTS raceway_schema (version int NOT NULL)');
    let version = await schemaVersion(client);
    if (version > PG_SCHEMA_VERSION) throw newerSchemaError(version);
    if ((await client.query('SELECT 1 FROM raceway_schema')).rowCount === 0)
      await client.query('INSERT INTO raceway_schema VALUES (0)');
    while (version < PG_SCHEMA_VERSION) {
      await client.query(MIGRATIONS[version]!);
      version++;
      await client.query('UPDATE raceway_schema SET version = $1', [version]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
