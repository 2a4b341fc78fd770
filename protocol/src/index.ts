export type { AccessType, EventKindName, EventMetadata, RacewayBlock, StateChange, WireEvent } from './event.js';
export { ACCESS_TYPES, EVENT_KINDS, RACEWAY_BLOCK_VERSION } from './event.js';
export { CLOCK_FOLD_EVENT, DROPPED_EVENT, FUNCTION_RETURN_EVENT } from './custom-events.js';
export { RACEWAY_CLOCK, RACEWAY_INTERNAL, TRACEPARENT, TRACESTATE } from './headers.js';
export { EVENT_LEVELS, eventSchema, FIELD_LIMITS, MAX_VALUE_DEPTH } from './schema.js';
export { ARRAY_MUTATORS, MAP_READS, MAP_WRITES, MUTATING_METHODS, SET_WRITES } from './collections.js';
export type { Hold, Schedule } from './explore-schedule.js';
export { checkSchedule, EXPLORE_ENV, MAX_HOLD_MS } from './explore-schedule.js';
export type {
  CompactBatch,
  CompactEvent,
  CompactRun,
  CompactRunsBatch,
  CompactStateChange,
  CompactTask,
  CompactTrace,
  CompactVersion,
} from './compact-batch.js';
export {
  BATCH_FORMATS_HEADER,
  COMPACT_BATCH_FORMAT,
  COMPACT_BATCH_VERSION,
  COMPACT_FORMATS,
  COMPACT_RUNS_VERSION,
  COMPACT_VERSIONS,
  compactFormat,
  CompactRunsError,
  decodeCompactBatch,
  eventsOfRuns,
  newestCompactVersion,
  RUN_HEADER_LENGTH,
  eventIdOf,
  isCompactBatch,
  timestampOf,
  traceUuidOf,
} from './compact-batch.js';
