import { append } from './append.js';
import type { Access } from './access.js';
import {
  byVariable,
  combine,
  groupByUnit,
  multiVariableViolations,
  predictedViolations,
  RacingPairs,
  singleVariableViolations,
  unorderedInitializations,
} from './detect.js';
import { groupRaces } from './group.js';
import type { Occurrence, Race } from './race.js';
import type { NotAnalysed } from './from-events.js';

export interface AnalysisResult {
  races: Race[];
  /** What the SDKs reported they did not send under load (absent: nothing, or not known). */
  notAnalysed?: NotAnalysed[];
  /** How many tracked accesses (reads and writes) were analysed. */
  accesses?: number;
}

/** An access this close after the other unit's gap looks like a handoff (a lock released, a waiter resumed). */
const HANDOFF_MS = 5;

/**
 * Whether a predicted interleaving's units ran back to back in the run: the interleaver right after the
 * gap ended, or the gap right after the interleaver, which is what a lock the detector cannot see does.
 */
function markHandoff(o: Occurrence): Occurrence {
  const [a1, b, a2] = o.accesses as [Access, Access, Access];
  if (a1.thread || b.thread) return o;
  const after = b.index > a2.index ? b.time - a2.time : a1.time - b.time;
  if (after >= 0 && after <= HANDOFF_MS) o.handoff = true;
  return o;
}

/** The real order: timestamps across processes (ours are run start times), the per-process sequence within one. */
export function realOrder(a: Access, b: Access): number {
  return a.time - b.time || (a.process < b.process ? -1 : a.process > b.process ? 1 : a.seq - b.seq);
}

/** What the per-variable passes find for one variable's accesses (in the real order). */
export interface VariableFindings {
  single: Occurrence[];
  predicted: Occurrence[];
  unordered: Occurrence[];
}

export function analyseVariable(list: Access[]): VariableFindings {
  const single = singleVariableViolations(list);
  return {
    single,
    predicted: predictedViolations(list, new RacingPairs(single)).map(markHandoff),
    unordered: unorderedInitializations(list),
  };
}

/**
 * Units the multi-variable pass looks at, when they touch two or more variables: ours, and for threads
 * (which have no awaited unit) each function call their SDK delimited with a call and a return.
 */
export function multiVariableUnits(units: Iterable<Access[]>): Access[][] {
  const out: Access[][] = [];
  const several = (own: Access[]) => own.length > 1 && own.some((a) => a.key !== own[0]!.key);
  for (const own of units) {
    if (!own[0]!.thread) {
      if (several(own)) out.push(own);
      continue;
    }
    const calls = new Map<string, Access[]>();
    for (const a of own) {
      if (!a.call?.closed) continue;
      let list = calls.get(a.call.id);
      if (!list) calls.set(a.call.id, (list = []));
      list.push(a);
    }
    for (const call of calls.values()) if (several(call)) out.push(call);
  }
  return out;
}

/** Sorts accesses into the real order and runs every rule. `accesses` need not be sorted. */
export function analyze(input: Access[]): AnalysisResult {
  const accesses = [...input].sort(realOrder);
  accesses.forEach((a, i) => (a.index = i));
  const parts: VariableFindings = { single: [], predicted: [], unordered: [] };
  for (const list of byVariable(accesses).values()) {
    const found = analyseVariable(list);
    append(parts.single, found.single);
    append(parts.predicted, found.predicted);
    append(parts.unordered, found.unordered);
  }
  const multi = multiVariableViolations(multiVariableUnits(groupByUnit(accesses).values()), accesses);
  return { races: groupRaces(combine({ ...parts, multi })) };
}
