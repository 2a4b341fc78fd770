import { VectorClock } from '../clock/vector-clock.js';
import { release } from '../context/causality.js';
import type { Task, TraceInfo } from '../context/task.js';
import { newSpanId } from './ids.js';
import { CLOCK_HEADER_BUDGET, decodeRacewayClock, encodeRacewayClock } from './raceway-clock.js';
import { formatTraceparent, parseTraceparent } from './traceparent.js';
import { parseTracestate } from './tracestate.js';

import { RACEWAY_CLOCK, RACEWAY_INTERNAL, TRACEPARENT, TRACESTATE } from '@raceway/protocol';

export { RACEWAY_CLOCK, RACEWAY_INTERNAL, TRACEPARENT, TRACESTATE };

/** Reads one header from Node's lower-cased header object (first value when repeated). */
export type HeaderGetter = (name: string) => string | string[] | undefined;

export interface IncomingContext {
  /** Trace identity to continue, or undefined to start a new trace. */
  trace: Partial<TraceInfo> | undefined;
  /** Causality carried by the caller. */
  clock: VectorClock | undefined;
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Incoming headers → the trace to continue and the caller's clock. Invalid headers mean "no context":
 * a bad traceparent starts a new trace, a bad raceway-clock is ignored whole.
 */
export function extractIncoming(get: HeaderGetter): IncomingContext {
  return incomingOf(get(TRACEPARENT), get(RACEWAY_CLOCK), get(TRACESTATE));
}

/**
 * The same from Node's header object. Each header is read at a site of its own: one site reading
 * several names turns megamorphic, a slow lookup on every request.
 */
export function extractIncomingHeaders(
  headers: Readonly<Record<string, string | string[] | undefined>>,
): IncomingContext {
  return incomingOf(headers[TRACEPARENT], headers[RACEWAY_CLOCK], headers[TRACESTATE]);
}

function incomingOf(
  traceparent: string | string[] | undefined,
  racewayClock: string | string[] | undefined,
  tracestateHeader: string | string[] | undefined,
): IncomingContext {
  const parent = parseTraceparent(first(traceparent));
  const clockHeader = decodeRacewayClock(first(racewayClock));
  const tracestate = parent ? parseTracestate(tracestateHeader) : undefined;
  if (!parent && !clockHeader) return { trace: undefined, clock: undefined };
  // A traceparent naming another trace than the clock means someone set traceparent on purpose:
  // the W3C header wins and the stale clock is ignored.
  if (parent && clockHeader && clockHeader.traceId !== parent.traceId) {
    return {
      trace: { traceId: parent.traceId, spanId: parent.spanId, upstreamSpanId: undefined, tracestate },
      clock: undefined,
    };
  }
  // The caller minted the traceparent span for us: it becomes our span. raceway-clock fields win.
  const trace: Partial<TraceInfo> = {
    traceId: clockHeader?.traceId ?? parent?.traceId,
    spanId: clockHeader?.spanId ?? parent?.spanId ?? newSpanId(),
    upstreamSpanId: clockHeader?.parentSpanId,
    tracestate,
  };
  const clock = clockHeader ? VectorClock.fromPairs(clockHeader.clock) : undefined;
  return { trace, clock };
}

/** Encodes `clock`, dropping the least recently advanced components until the header fits the budget. */
export function encodeClockWithinBudget(
  trace: { traceId: string; spanId?: string; parentSpanId?: string },
  service: string,
  instance: string,
  clock: VectorClock,
  keep: string,
): string {
  let current = clock;
  for (;;) {
    const header = encodeRacewayClock(
      {
        traceId: trace.traceId,
        spanId: trace.spanId,
        parentSpanId: trace.parentSpanId,
        service,
        instance,
        clock: [],
      },
      current.toWireJson(),
    );
    if (header.length <= CLOCK_HEADER_BUDGET || current.size <= 1) return header;
    current = current.prune(Math.floor(current.size * 0.75), keep);
  }
}

/**
 * Headers for an outbound call from `task`. Sending is a release: the task's own component advances
 * so that its later events are not ordered before what the callee does.
 */
export function buildOutgoing(task: Task, service: string, instance: string): Record<string, string> {
  const childSpan = newSpanId();
  const sent = release(task);
  const headers: Record<string, string> = {
    [TRACEPARENT]: formatTraceparent(task.trace.traceId, childSpan),
    [RACEWAY_CLOCK]: encodeClockWithinBudget(
      { traceId: task.trace.traceId, spanId: childSpan, parentSpanId: task.trace.spanId },
      service,
      instance,
      sent,
      task.component,
    ),
  };
  if (task.trace.tracestate) headers[TRACESTATE] = task.trace.tracestate;
  return headers;
}

/** The clock a callee puts on its response, read back by the caller (our extension; others ignore it). */
export function responseClockOf(get: HeaderGetter): VectorClock | undefined {
  const decoded = decodeRacewayClock(first(get(RACEWAY_CLOCK)));
  return decoded ? VectorClock.fromPairs(decoded.clock) : undefined;
}
