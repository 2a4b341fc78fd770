import type { CompactVersion } from '@raceway/protocol';
import type { EventRecord } from '../record/event-record.js';
import { encodeCompactBatch } from './compact-batch.js';
import type { Redactor, ServiceIdentity } from './wire-event.js';
import { toWireEventJson } from './wire-event.js';

/** A POST body stays under this size (the existing collector accepts 2 MiB). */
export const MAX_BODY_BYTES = 1024 * 1024 - 1024;

const BODY_OPEN = '{"events":[';
const BODY_CLOSE = ']}';
const BODY_FRAME_BYTES = BODY_OPEN.length + BODY_CLOSE.length;
const COMMA = 0x2c;

/**
 * One POST body and what it carries, kept to split it when the collector finds it too large: the events'
 * JSON texts (standard form), or the records (compact form, which can also be sent again as standard).
 */
export type BatchBody =
  | { format: 'standard'; body: Buffer; count: number; events: string[] }
  | { format: 'compact'; version: CompactVersion; body: Buffer; count: number; records: EventRecord[] };

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
  encode(records: EventRecord[], compact: CompactVersion | undefined): { bodies: BatchBody[]; unencodable: number } {
    return compact ? this.compact(records, compact) : this.standard(records);
  }

  /** The halves of a body, encoded alike; undefined for a single event. */
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
    return [batch.records.slice(0, half), batch.records.slice(half)].flatMap(
      (part) => this.compact(part, batch.version).bodies,
    );
  }

  /** A compact body's records as standard bodies (for a collector that refused the compact form). */
  asStandard(batch: BatchBody): BatchBody[] {
    return batch.format === 'standard' ? [batch] : this.standard(batch.records).bodies;
  }

  private standard(records: readonly EventRecord[]): { bodies: BatchBody[]; unencodable: number } {
    const bodies: BatchBody[] = [];
    let unencodable = 0;
    let current: string[] = [];
    let bytes: number[] = [];
    let size = BODY_FRAME_BYTES;
    const close = () => {
      bodies.push({ format: 'standard', body: encodeBody(current, bytes), count: current.length, events: current });
      current = [];
      bytes = [];
      size = BODY_FRAME_BYTES;
    };
    for (const record of records) {
      let json: string;
      try {
        json = toWireEventJson(record, this.identity, this.redactor);
      } catch {
        unencodable++;
        continue;
      }
      const length = Buffer.byteLength(json);
      if (size + length + 1 > MAX_BODY_BYTES && current.length > 0) close();
      current.push(json);
      bytes.push(length);
      size += length + 1;
    }
    if (current.length > 0) close();
    return { bodies, unencodable };
  }

  private compact(records: EventRecord[], version: CompactVersion): { bodies: BatchBody[]; unencodable: number } {
    if (records.length === 0) return { bodies: [], unencodable: 0 };
    let text: string;
    try {
      text = encodeCompactBatch(records, this.identity, this.redactor, version);
    } catch {
      // Which record failed is found by encoding each alone (rare: a value's own toJSON cannot run here).
      const good = records.filter((r) => {
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
      const b = this.compact(records.slice(half), version);
      return { bodies: [...a.bodies, ...b.bodies], unencodable: a.unencodable + b.unencodable };
    }
    return { bodies: [{ format: 'compact', version, body, count: records.length, records }], unencodable: 0 };
  }
}

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
