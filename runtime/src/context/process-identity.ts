import { state } from './process-state.js';

/** Short tag that makes task ids unique across processes. */
export const processTag = state.tag;

/**
 * Event id for a sequence number: the process prefix, the RFC 4122 variant nibble, then 60 bits of
 * sequence. No randomness on the hot path, and ids sort by recording order within a process.
 */
export function eventIdFor(seq: number): string {
  const s = seq.toString(16).padStart(15, '0');
  return `${state.eventIdPrefix}8${s.slice(0, 3)}-${s.slice(3)}`;
}
