import type { Access } from './access.js';
import { observedViolations, predictedViolations, unorderedInitializations } from './detect.js';
import { groupRaces } from './group.js';
import type { Race } from './race.js';

export interface AnalysisResult {
  races: Race[];
}

/** Sorts accesses into the real order and runs every rule. `accesses` need not be sorted. */
export function analyze(input: Access[]): AnalysisResult {
  // Real order: timestamps across processes (ours are run start times, monotonic with the sequence),
  // the per-process sequence within one.
  const accesses = [...input].sort((a, b) => a.time - b.time || (a.process < b.process ? -1 : a.process > b.process ? 1 : a.seq - b.seq));
  accesses.forEach((a, i) => (a.index = i));
  const observed = observedViolations(accesses);
  const predicted = predictedViolations(accesses, observed);
  const unordered = unorderedInitializations(accesses, observed);
  return { races: groupRaces([...observed, ...predicted, ...unordered]) };
}
