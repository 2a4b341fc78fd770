import type { EventRecord } from '../record/event-record.js';
import type { Redactor, ServiceIdentity } from './wire-event.js';
import { toWireEventJson } from './wire-event.js';

/** A POST body stays under this size (the existing collector accepts 2 MiB). */
export const MAX_BODY_BYTES = 1024 * 1024 - 1024;

const BODY_OPEN = '{"events":[';
const BODY_CLOSE = ']}';
const BODY_FRAME_BYTES = BODY_OPEN.length + BODY_CLOSE.length;
const COMMA = 0x2c;

/** One POST body and the events it carries (kept to split the body when the collector finds it too large). */
export interface BatchBody {
  body: Buffer;
  events: string[];
}

/**
 * Records → wire JSON → bodies under MAX_BODY_BYTES. A record that cannot be encoded is skipped and
 * counted in `unencodable`.
 */
export function encodeBatches(
  records: readonly EventRecord[],
  identity: ServiceIdentity,
  redactor: Redactor,
): { bodies: BatchBody[]; unencodable: number } {
  const bodies: BatchBody[] = [];
  let unencodable = 0;
  let current: string[] = [];
  let bytes: number[] = [];
  let size = BODY_FRAME_BYTES;
  for (const record of records) {
    let json: string;
    try {
      json = toWireEventJson(record, identity, redactor);
    } catch {
      unencodable++;
      continue;
    }
    const length = Buffer.byteLength(json);
    if (size + length + 1 > MAX_BODY_BYTES && current.length > 0) {
      bodies.push({ body: encodeBody(current, bytes), events: current });
      current = [];
      bytes = [];
      size = BODY_FRAME_BYTES;
    }
    current.push(json);
    bytes.push(length);
    size += length + 1;
  }
  if (current.length > 0) bodies.push({ body: encodeBody(current, bytes), events: current });
  return { bodies, unencodable };
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
