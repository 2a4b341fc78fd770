/**
 * W3C `traceparent` (trace-context level 1): `version-traceid-spanid-flags`.
 * Parsing turns every invalid header into `undefined` ("no context"), never an exception.
 */
export interface TraceParent {
  traceId: string;
  spanId: string;
  flags: string;
}

const HEX2 = /^[0-9a-f]{2}$/;
const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;

/** Why a traceparent is rejected, for tests and documentation. */
export const invalidTraceparentCases = [
  'not a string, or more than 512 characters',
  'fewer than four dash-separated fields',
  'version not two lowercase hex digits, or version ff',
  'version 00 with more than four fields',
  'trace id not 32 lowercase hex digits, or all zeros',
  'span id not 16 lowercase hex digits, or all zeros',
  'flags not two lowercase hex digits',
] as const;

export function parseTraceparent(header: unknown): TraceParent | undefined {
  if (typeof header !== 'string' || header.length > 512) return undefined;
  const parts = header.trim().split('-');
  if (parts.length < 4) return undefined;
  const [version, traceId, spanId, flags] = parts as [string, string, string, string];
  if (!HEX2.test(version) || version === 'ff') return undefined;
  // Version 00 has exactly four fields; later versions may append fields we ignore.
  if (version === '00' && parts.length !== 4) return undefined;
  if (!HEX32.test(traceId) || /^0+$/.test(traceId)) return undefined;
  if (!HEX16.test(spanId) || /^0+$/.test(spanId)) return undefined;
  if (!HEX2.test(flags)) return undefined;
  return { traceId, spanId, flags };
}

export function formatTraceparent(traceId: string, spanId: string, flags = '01'): string {
  return `00-${traceId}-${spanId}-${flags}`;
}
