import type { Access } from './access.js';
import { byVariable, multiVariableViolations, predictedViolations, singleVariableViolations, unorderedInitializations } from './detect.js';
import { groupRaces } from './group.js';
import type { Occurrence, Race } from './race.js';

export interface AnalysisResult {
  races: Race[];
}

/** An access this close after the other unit's gap looks like a handoff (a lock released, a waiter resumed). */
const HANDOFF_MS = 5;

/**
 * Whether a predicted interleaving's units ran back to back in the run: the interleaver right after the
 * gap ended, or the gap right after the interleaver, which is what a lock the detector cannot see does.
 */
function looksHandedOff(o: Occurrence): boolean {
  const [a1, b, a2] = o.accesses as [Access, Access, Access];
  if (a1.thread || b.thread) return false;
  const after = b.index > a2.index ? b.time - a2.time : a1.time - b.time;
  return after >= 0 && after <= HANDOFF_MS;
}

/** Sorts accesses into the real order and runs every rule. `accesses` need not be sorted. */
export function analyze(input: Access[]): AnalysisResult {
  // Real order: timestamps across processes (ours are run start times, monotonic with the sequence),
  // the per-process sequence within one.
  const accesses = [...input].sort((a, b) => a.time - b.time || (a.process < b.process ? -1 : a.process > b.process ? 1 : a.seq - b.seq));
  accesses.forEach((a, i) => (a.index = i));
  const variables = byVariable(accesses);
  // The simplest true explanation first: single-variable patterns, then multi-variable ones only where
  // none of those explains what one unit did to another.
  const single = singleVariableViolations(variables);
  const observed = [...single, ...multiVariableViolations(accesses, single)];
  const predicted = predictedViolations(variables, observed);
  for (const o of predicted) if (looksHandedOff(o)) o.handoff = true;
  const unordered = unorderedInitializations(accesses, observed);
  return { races: groupRaces([...observed, ...predicted, ...unordered]) };
}
