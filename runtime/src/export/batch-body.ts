import type { CompactBatch, CompactRunsBatch, CompactVersion } from '@raceway/protocol';
import { COMPACT_BATCH_VERSION, COMPACT_RUNS_VERSION, decodeCompactBatch, eventsOfRuns } from '@raceway/protocol';
import type { EventRecord, RecordSource } from '../record/event-record.js';
import { encodeCompactBatch } from './compact-batch.js';
import { recordsOf } from './record-ring.js';
import type { Redactor, ServiceIdentity } from './wire-event.js';
import { toWireEventJson } from './wire-event.js';

/** A POST body stays under this size (the existing collector accepts 2 MiB). */
export const MAX_BODY_BYTES = 1024 * 1024 - 1024;

const BODY_OPEN = '{"events":[';
const BODY_CLOSE = ']}';
const BODY_FRAME_BYTES = BODY_OPEN.length + BODY_CLOSE.length;
const COMMA = 0x2c;

/**
 * One POST body and what it carries: the events' JSON texts (standard form), kept to split it when the
 * collector finds it too large; a compact body is split, or sent again as standard events, from itself.
 */
export type BatchBody =
  | { format: 'standard'; body: Buffer; count: number; events: string[] }
  | { format: 'compact'; version: CompactVersion; body: Buffer; count: number };

/** Serialises records into POST bodies under MAX_BODY_BYTES, in either form. */
export class BatchEncoder {
  constructor(
    private readonly identity: ServiceIdentity,
    private readonly redactor: Redactor,
  ) {}

  /**
   * Records → bodies, standard or in the compact version given. A record that cannot be encoded is
   * skipped and counted in `unencodable` (a compact batch with one is encoded again without it).
   */
  encode(records: RecordSource, compact: CompactVersion | undefined): { bodies: BatchBody[]; unencodable: number } {
    return compact ? this.compact(records, compact) : this.standard(recordsOf(records));
  }

  /**
   * The halves of a body; undefined for a single event. A compact body's halves are version 1 batches
   * with its tables (every server that reads version 2 reads version 1).
   */
  split(batch: BatchBody): BatchBody[] | undefined {
    if (batch.count <= 1) return undefined;
    const half = Math.ceil(batch.count / 2);
    if (batch.format === 'standard')
      return [batch.events.slice(0, half), batch.events.slice(half)].map((events) => ({
        format: 'standard',
        body: bodyOf(events),
        count: events.length,
        events,
      }));
    const parsed = parseCompact(batch.body);
    const events = parsed.raceway_batch === COMPACT_RUNS_VERSION ? eventsOfRuns(parsed.runs) : parsed.events;
    const { runs: _runs, events: _events, ...tables } = parsed as unknown as Record<string, unknown>;
    return [events.slice(0, half), events.slice(half)].map((part) => ({
      format: 'compact',
      version: COMPACT_BATCH_VERSION,
      body: Buffer.from(JSON.stringify({ ...tables, raceway_batch: COMPACT_BATCH_VERSION, events: part }), 'utf8'),
      count: part.length,
    }));
  }

  /** A compact body's events as standard bodies (for a collector that refused the compact form). */
  asStandard(batch: BatchBody): BatchBody[] {
    if (batch.format === 'standard') return [batch];
    // The compact form decodes to exactly the standard events the records make (an event that would not
    // decode is left out, and counted as dropped by the sender).
    const events: string[] = [];
    for (const event of decodeCompactBatch(parseCompact(batch.body))) if (event) events.push(JSON.stringify(event));
    return this.standardBodies(events);
  }

  private standard(records: readonly EventRecord[]): { bodies: BatchBody[]; unencodable: number } {
    let unencodable = 0;
    const events: string[] = [];
    for (const record of records) {
      try {
        events.push(toWireEventJson(record, this.identity, this.redactor));
      } catch {
        unencodable++;
      }
    }
    return { bodies: this.standardBodies(events), unencodable };
  }

  /** Events' JSON texts → standard bodies under MAX_BODY_BYTES. */
  private standardBodies(events: readonly string[]): BatchBody[] {
    const bodies: BatchBody[] = [];
    let current: string[] = [];
    let bytes: number[] = [];
    let size = BODY_FRAME_BYTES;
    const close = () => {
      bodies.push({ format: 'standard', body: encodeBody(current, bytes), count: current.length, events: current });
      current = [];
      bytes = [];
      size = BODY_FRAME_BYTES;
    };
    for (const json of events) {
      const length = Buffer.byteLength(json);
      if (size + length + 1 > MAX_BODY_BYTES && current.length > 0) close();
      current.push(json);
      bytes.push(length);
      size += length + 1;
    }
    if (current.length > 0) close();
    return bodies;
  }

  private compact(records: RecordSource, version: CompactVersion): { bodies: BatchBody[]; unencodable: number } {
    if (records.length === 0) return { bodies: [], unencodable: 0 };
    let text: string;
    try {
      text = encodeCompactBatch(records, this.identity, this.redactor, version);
    } catch {
      // Which record failed is found by encoding each alone (rare: a value's own toJSON cannot run here).
      const all = recordsOf(records);
      const good = all.filter((r) => {
        try {
          encodeCompactBatch([r], this.identity, this.redactor, version);
          return true;
        } catch {
          return false;
        }
      });
      const rest = good.length < records.length ? this.compact(good, version) : { bodies: [], unencodable: 0 };
      return { bodies: rest.bodies, unencodable: records.length - good.length + rest.unencodable };
    }
    const body = Buffer.from(text, 'utf8');
    if (body.length > MAX_BODY_BYTES && records.length > 1) {
      const half = Math.ceil(records.length / 2);
      const a = this.compact(records.slice(0, half), version);
      const b = this.compact(records.slice(half, records.length), version);
      return { bodies: [...a.bodies, ...b.bodies], unencodable: a.unencodable + b.unencodable };
    }
    return { bodies: [{ format: 'compact', version, body, count: records.length }], unencodable: 0 };
  }
}

const parseCompact = (body: Buffer) => JSON.parse(body.toString('utf8')) as CompactBatch | CompactRunsBatch;

/** The body of some of the events of a batch (when a collector refused the whole as too large). */
export function bodyOf(events: readonly string[]): Buffer {
  return encodeBody(
    events,
    events.map((e) => Buffer.byteLength(e)),
  );
}

/**
 * `{"events":[e1,e2,...]}` encoded straight into one buffer of the exact size (`bytes`: each event's
 * UTF-8 length): no joined string to build and flatten, no second encoding pass when it is sent.
 */
function encodeBody(events: readonly string[], bytes: readonly number[]): Buffer {
  let total = BODY_FRAME_BYTES + Math.max(0, events.length - 1);
  for (const n of bytes) total += n;
  const body = Buffer.allocUnsafe(total);
  let at = body.write(BODY_OPEN, 0, 'latin1');
  for (let i = 0; i < events.length; i++) {
    if (i > 0) body[at++] = COMMA;
    at += body.write(events[i]!, at, bytes[i]!, 'utf8');
  }
  body.write(BODY_CLOSE, at, 'latin1');
  return body;
}
