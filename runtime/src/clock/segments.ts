import { state } from '../context/process-state.js';

/**
 * Synchronous segments. JavaScript runs a segment (code between two await/callback boundaries) to
 * completion without interruption, so two accesses in one segment cannot be interleaved by anything.
 *
 * The segment number is process-wide and only grows. It advances:
 *  - when instrumented code resumes after an `await`/`yield` (explicit `boundary()`),
 *  - when a task is forked, joined or entered,
 *  - when the current run of synchronous code ends: the first event of a run arms one microtask that
 *    advances the number, so events in a later microtask or macrotask (timers, emitters, awaits in
 *    uninstrumented code) see a new segment.
 * The run's start time is read once, when the microtask is armed: a clock read per event would cost
 * more than the rest of the hot path together.
 */
const timeOrigin = performance.timeOrigin;

function endOfRun(): void {
  state.segmentArmed = false;
  state.segment++;
}

/** The current segment; arms the end-of-run microtask on the first call of a run. */
export function currentSegment(): number {
  if (!state.segmentArmed) {
    state.segmentArmed = true;
    state.runStartedAt = timeOrigin + performance.now();
    queueMicrotask(endOfRun);
  }
  return state.segment;
}

/** Epoch milliseconds (fractional) at which the current synchronous run recorded its first event. */
export function runTimestamp(): number {
  return state.runStartedAt;
}

/** Starts a new segment now. */
export function boundary(): void {
  state.segment++;
}
