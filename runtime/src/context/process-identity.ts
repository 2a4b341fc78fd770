import { state } from './process-state.js';

/** Short tag that makes task ids unique across processes. */
export const processTag = state.tag;

/**
 * Event id for a sequence number: the process prefix, the RFC 4122 variant bits, then 60 bits of
 * sequence. No randomness on the hot path, and ids sort by recording order within a process.
 */
export function eventIdFor(seq: number): string {
  const s = seq.toString(16).padStart(15, '0');
  const variant = (8 + (parseInt(s[0]!, 16) & 0x3)).toString(16);
  return `${state.eventIdPrefix}${variant}${s.slice(1, 4)}-${s.slice(4)}`;
}
