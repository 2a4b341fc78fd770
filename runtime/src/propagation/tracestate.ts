/**
 * W3C `tracestate` (trace-context level 1 and 2): repeated headers are joined with commas, empty members
 * and optional whitespace around members are ignored, and a key repeated later in the list is dropped
 * (the first one stays, as the specification allows a receiver to discard duplicates). The whole value is
 * dropped when it breaks the limits: a malformed member (key or value), more than 32 members, more than
 * 512 characters.
 */
const KEY = /^(?:[a-z][a-z0-9_\-*/]{0,255}|[a-z0-9][a-z0-9_\-*/]{0,240}@[a-z][a-z0-9_\-*/]{0,13})$/;
const VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

export function parseTracestate(header: unknown): string | undefined {
  // Node gives repeated headers as an array of strings; anything else is not a header value.
  const raw = Array.isArray(header)
    ? header.every((h) => typeof h === 'string')
      ? header.join(',')
      : undefined
    : header;
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 512) return undefined;
  const members = raw
    .split(',')
    .map((m) => m.trim())
    .filter((m) => m.length > 0);
  if (members.length === 0 || members.length > 32) return undefined;
  const seen = new Set<string>();
  const kept: string[] = [];
  for (const member of members) {
    const eq = member.indexOf('=');
    if (eq <= 0) return undefined;
    const key = member.slice(0, eq);
    const value = member.slice(eq + 1);
    if (!KEY.test(key) || !VALUE.test(value)) return undefined;
    if (seen.has(key)) continue;
    seen.add(key);
    kept.push(member);
  }
  return kept.join(',');
}
