import { Ajv } from 'ajv';
import { EVENT_LEVELS, eventSchema, MAX_VALUE_DEPTH } from '@raceway/protocol';
import { nestsDeeperThan } from '../analysis/value-summary.js';

// The event's schema and limits are the protocol's; they are re-exported where the server always had them.
export { FIELD_LIMITS, MAX_VALUE_DEPTH } from '@raceway/protocol';

/** RFC 3339 date-time: full date, `T` (or `t`/space), time with optional fraction, `Z` or an offset. */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

const ajv = new Ajv({ allErrors: false, strict: false });
const check = ajv.compile(eventSchema);

/** Whether `text` is an RFC 3339 date-time naming a real instant (no 2026-02-30, no 25:00). */
export function isRfc3339(text: string): boolean {
  const m = RFC3339.exec(text);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 60) return false;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > daysInMonth) return false;
  const offset = m[8]!;
  if (offset.length === 6 && (Number(offset.slice(1, 3)) > 23 || Number(offset.slice(4)) > 59)) return false;
  return !Number.isNaN(Date.parse(text.replace(' ', 'T')));
}

/** undefined when valid, else a one-line reason. */
export function validateEvent(event: unknown): string | undefined {
  if (check(event)) {
    if (!isRfc3339((event as { timestamp: string }).timestamp))
      return '/timestamp must be an RFC 3339 date-time (e.g. 2026-11-30T10:00:00.123Z)';
    if (nestsDeeperThan(event, MAX_VALUE_DEPTH + EVENT_LEVELS))
      return `a value nests deeper than ${MAX_VALUE_DEPTH} levels`;
    return undefined;
  }
  const e = check.errors?.[0];
  return e
    ? `${e.instancePath || '/'} ${e.message ?? 'is invalid'}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`
    : 'invalid event';
}
