import pg from 'pg';

/** The database the PostgreSQL tests use (`.ci/run` sets it); unset, those tests are skipped. */
export const POSTGRES_URL = process.env.RACEWAY_TEST_DATABASE_URL || undefined;

/** `.ci/run` sets this too: a run that would skip the PostgreSQL tests fails instead. */
if (!POSTGRES_URL && process.env.RACEWAY_REQUIRE_POSTGRES === '1')
  throw new Error('RACEWAY_REQUIRE_POSTGRES=1 but RACEWAY_TEST_DATABASE_URL is not set');

let said = false;
/** Says once per test file that the PostgreSQL cases are skipped, and why. */
export function sayPostgresSkipped(): void {
  if (POSTGRES_URL || said) return;
  said = true;
  process.stdout.write(
    'PostgreSQL store tests skipped: set RACEWAY_TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test)\n',
  );
}

let n = 0;
/** A URL naming a schema of its own (created by the store), and a function that drops it. */
export function freshSchema(): { url: string; schema: string; drop(): Promise<void> } {
  const schema = `rw_test_${process.pid}_${++n}_${Date.now() % 100000}`;
  const url = new URL(POSTGRES_URL!);
  url.searchParams.set('schema', schema);
  return {
    url: url.toString(),
    schema,
    async drop() {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

/** Runs one query on the test database (outside any store). */
export async function query<T extends pg.QueryResultRow>(sql: string, args: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    return (await client.query<T>(sql, args)).rows;
  } finally {
    await client.end();
  }
}
