/**
 * `Custom` events our SDK sends to tell the server about itself (their `name`; the data is described in
 * docs/wire-protocol.md). Other SDKs never send them.
 */

/** What the SDK did not send under load: `{ dropped_traces, truncated_traces, truncated_count, service }`. */
export const DROPPED_EVENT = 'RacewayDropped';

/** A clock folded past its width: `{ into, at, folded: [[component, epoch], ...] }`. */
export const CLOCK_FOLD_EVENT = 'RacewayClockFold';

/** The end of a traced call: `{ function_name, duration_ns, ok, location }`. */
export const FUNCTION_RETURN_EVENT = 'FunctionReturn';
