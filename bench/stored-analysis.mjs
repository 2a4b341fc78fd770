// Analysis of events read back from a store: the same synthetic events (bench/analysis.mjs) written to
// SQLite and to PostgreSQL, then analysed through the server's analysis service (events read in sequence
// order; PostgreSQL streams them in pages). Side by side in one run, with the ratio of the two.
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp, PostgresStore, SqliteStore } from '@raceway/server';
import { synthetic } from './analysis.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const POSTGRES = process.env.RACEWAY_BENCH_DATABASE_URL || process.env.RACEWAY_TEST_DATABASE_URL;
const CHUNK = 5000;

const rowOf = (e, position) => [
  e.id,
  e.trace_id,
  Object.keys(e.kind)[0],
  e.metadata.service_name,
  null,
  null,
  e.timestamp,
  position,
];

async function fill(store, events) {
  const started = performance.now();
  for (let i = 0; i < events.length; i += CHUNK) {
    const chunk = events.slice(i, i + CHUNK);
    await store.insertBatches([{ body: JSON.stringify({ events: chunk }), rows: chunk.map(rowOf) }]);
  }
  return (performance.now() - started) / 1000;
}

async function analyse(store) {
  const { app, analysis } = buildApp({ store });
  const started = performance.now();
  const result = await analysis.current();
  const seconds = (performance.now() - started) / 1000;
  await app.close();
  return { seconds, races: result.races.length, accesses: result.accesses };
}

export async function storedAnalysis({ quick = false } = {}) {
  const size = quick ? 20_000 : Number(process.env.RACEWAY_BENCH_STORED_EVENTS ?? 1_000_000);
  process.stdout.write(`\nAnalysis of ${size} events read back from the store\n`);
  if (!POSTGRES) {
    process.stdout.write('  skipped: set RACEWAY_BENCH_DATABASE_URL or RACEWAY_TEST_DATABASE_URL\n');
    return [];
  }
  const events = synthetic(size);
  const dir = path.join(repo, 'test-output', 'bench-stored-analysis');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const sqlite = new SqliteStore(path.join(dir, 'bench.db'));
  const schema = `rw_bench_analysis_${process.pid}`;
  const url = new URL(POSTGRES);
  url.searchParams.set('schema', schema);
  const postgres = await PostgresStore.open(url.toString());
  try {
    const rows = [];
    for (const [name, store] of [
      ['SQLite', sqlite],
      ['PostgreSQL', postgres],
    ]) {
      const written = await fill(store, events);
      await store.indexPending?.();
      const read = await analyse(store);
      rows.push({ name, written, ...read });
      process.stdout.write(
        `  ${name.padEnd(11)} written in ${written.toFixed(1)} s (${Math.round(size / written)} events/s, one writer); analysed in ${read.seconds.toFixed(2)} s (${read.accesses} accesses, ${read.races} race groups)\n`,
      );
    }
    const [lite, pg] = rows;
    if (lite.races !== pg.races || lite.accesses !== pg.accesses)
      throw new Error('the two stores gave different analyses of the same events');
    process.stdout.write(`  PostgreSQL / SQLite analysis time: ${(pg.seconds / lite.seconds).toFixed(2)}x\n`);
    return [
      {
        benchmark: 'analysis from the store',
        metric: `PostgreSQL / SQLite, ${size} events`,
        ratio: pg.seconds / lite.seconds,
        target: 'report',
      },
    ];
  } finally {
    sqlite.close();
    await postgres.close();
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: POSTGRES });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url))
  await storedAnalysis({ quick: process.argv.includes('--quick') });
