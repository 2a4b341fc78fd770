/** Headers between services (lower case, as Node gives them). */
export const TRACEPARENT = 'traceparent';
export const TRACESTATE = 'tracestate';
/** `v1;<unpadded base64url JSON>`: the caller's clock, and the callee's on the response. */
export const RACEWAY_CLOCK = 'raceway-clock';
/** Marks the SDK's own traffic to the collector, so middlewares skip it. */
export const RACEWAY_INTERNAL = 'x-raceway-internal';
