/**
 * The catalogue of errors the SDK can throw at its callers. Tracking calls never throw; only
 * configuration and explicit context requests do, each with a stable code.
 */
export const ErrorCodes = {
  RW_CONFIG: 'RW_CONFIG',
  RW_NO_CONTEXT: 'RW_NO_CONTEXT',
  RW_LOCK_SHAPE: 'RW_LOCK_SHAPE',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export class RacewayError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Invalid client options or environment variables. */
export class RacewayConfigError extends RacewayError {
  constructor(message: string) {
    super(ErrorCodes.RW_CONFIG, message);
  }
}

/** An operation that needs a trace context (e.g. `propagationHeaders()`) was called outside one. */
export class RacewayContextError extends RacewayError {
  constructor(operation: string) {
    super(
      ErrorCodes.RW_NO_CONTEXT,
      `${operation} needs a Raceway context: call it inside a request handled by a Raceway middleware, ` +
        'inside raceway.startTrace(), or inside runWithContext()',
    );
  }
}

/** `withLock` was given something that is neither an async-mutex style nor a lock()/unlock() mutex. */
export class RacewayLockError extends RacewayError {
  constructor() {
    super(
      ErrorCodes.RW_LOCK_SHAPE,
      'withLock expects a mutex with acquire(): Promise<release> (async-mutex) or lock()/unlock() methods',
    );
  }
}
