import type { EventStore } from './event-store.js';
import { PostgresStore } from './postgres/postgres-store.js';
import { SqliteStore } from './sqlite-store.js';

/** Where the events are: a SQLite file (or `:memory:`), or a PostgreSQL database shared by several servers. */
export type StoreLocation = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };

/** `--store` / `--db` / `RACEWAY_DATABASE_URL`: a `postgres://` or `postgresql://` URL, else a SQLite file. */
export function storeLocation(text: string): StoreLocation {
  return /^postgres(ql)?:\/\//i.test(text) ? { kind: 'postgres', url: text } : { kind: 'sqlite', file: text };
}

/** How a location is shown in logs and messages: a URL without its password. */
export function describeLocation(location: StoreLocation): string {
  if (location.kind === 'sqlite') return location.file;
  try {
    const url = new URL(location.url);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

/**
 * Opens a store whose layout the server process already brought up to date (threads open their own
 * connection this way): no migration, and a newer layout is still refused.
 */
export function openStoreIn(location: StoreLocation): EventStore {
  return location.kind === 'sqlite'
    ? new SqliteStore(location.file)
    : new PostgresStore(location.url, { migrate: false, maxConnections: 2 });
}
