import { codedError, PG_UNAVAILABLE } from '../storage-fault.js';

/**
 * SQLSTATE classes of conditions outside the server that may pass: connection exceptions (08), insufficient
 * resources such as a full disk (53), operator intervention such as a restart (57P), system errors (58), a
 * read-only database (25006), and the lock and statement timeouts of an overloaded database (55P03, 57014).
 */
const UNAVAILABLE_STATES = /^(08|53|57P|58|25006$|55P03$|57014$)/;
/** Socket errors of a database that is gone or unreachable. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'EAI_AGAIN',
]);
/** Errors the client raises without a code when a connection fails or is cut. */
const CLIENT_MESSAGES =
  /Connection terminated|Query read timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended/i;

/** A storage fault (answered 503 until the database is back) when `error` says the database is unavailable. */
export function asStorageFault(error: unknown, where: string): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  const unavailable =
    (typeof code === 'string' && (UNAVAILABLE_STATES.test(code) || NETWORK_CODES.has(code))) ||
    CLIENT_MESSAGES.test(message);
  if (!unavailable) return error;
  return codedError(`PostgreSQL at ${where} is unavailable: ${message}`, PG_UNAVAILABLE);
}
