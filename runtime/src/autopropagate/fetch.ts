import { state } from '../context/process-state.js';
import { activeTask, joinClock } from '../context/storage.js';
import { buildOutgoing, RACEWAY_INTERNAL, responseClockOf, TRACEPARENT } from '../propagation/headers.js';
import type { PropagationSourceGetter } from './propagation-source.js';

/**
 * Wraps global `fetch`: inside a context, adds traceparent / tracestate / raceway-clock unless the
 * caller set them, and joins the clock the callee returns on its response.
 */
export function installFetchPropagation(getSource: PropagationSourceGetter): void {
  if (state.installed.has('fetch') || typeof globalThis.fetch !== 'function') return;
  state.installed.add('fetch');
  const original = globalThis.fetch;
  const wrapped = function fetch(input: Parameters<typeof original>[0], init?: RequestInit): Promise<Response> {
    const task = activeTask();
    const source = task ? (task.trace.origin ?? getSource()) : undefined;
    if (!task || !source?.autoPropagate) return original(input, init);
    let nextInit: RequestInit;
    try {
      const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
      if (headers.get(RACEWAY_INTERNAL) === 'true') return original(input, init);
      // A caller that set its own traceparent chose the trace: add nothing that could contradict it.
      if (headers.has(TRACEPARENT)) return original(input, init);
      for (const [name, value] of Object.entries(buildOutgoing(task, source.serviceName, source.instanceId))) {
        if (!headers.has(name)) headers.set(name, value);
      }
      nextInit = { ...init, headers };
    } catch {
      return original(input, init);
    }
    return original(input, nextInit).then((response) => {
      try {
        const clock = responseClockOf((name) => response.headers.get(name) ?? undefined);
        if (clock) joinClock(task, clock);
      } catch {
        // The response goes back untouched whatever happens here.
      }
      return response;
    });
  };
  globalThis.fetch = wrapped as typeof fetch;
}
