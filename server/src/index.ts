export { buildApp, MAX_BODY_BYTES } from './http/app.js';
export type { AppOptions } from './http/app.js';
export { SqliteStore } from './store/sqlite-store.js';
export { PostgresStore } from './store/postgres/postgres-store.js';
export type { PostgresStoreOptions } from './store/postgres/postgres-store.js';
export { storeLocation } from './store/open-store.js';
export type { StoreLocation } from './store/open-store.js';
export type {
  Awaitable,
  EventStore,
  EventStream,
  StoredEvent,
  TraceSummary,
  ServiceSummary,
  ServiceEdge,
} from './store/event-store.js';
export { analyze } from './analysis/analyze.js';
export { accessesFrom } from './analysis/from-events.js';
export { IncrementalAnalysis } from './analysis/incremental-analysis.js';
export type { WireEvent } from './analysis/from-events.js';
export type { Access } from './analysis/access.js';
export type { Race, RaceKind, Severity } from './analysis/race.js';
export { toReport } from './analysis/report.js';
export type { RaceReport } from './analysis/report.js';
export { ErrorCatalogue } from './errors/catalogue.js';
export { startServer } from './cli/server-process.js';
export { main } from './cli/main.js';
