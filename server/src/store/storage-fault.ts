/**
 * Storage faults: the store cannot write right now, for a reason outside the server that may pass.
 * SQLite result codes that mean the store cannot write right now (disk full, read-only file or file
 * system, I/O error, file gone): the condition is outside the server and may pass. Anything else is a bug.
 */
const STORAGE_CODES = /^SQLITE_(FULL|READONLY|IOERR|CANTOPEN|CORRUPT|NOTADB|PERM|BUSY|LOCKED|NOLFS)/;

/** Our own storage fault: the database file is no longer the one the server opened. */
export const STORE_FILE_GONE = 'RW_STORE_FILE_GONE';

/** Whether `error` says the store cannot write (rather than that the server has a bug). */
export function isStorageFault(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (STORAGE_CODES.test(code) || code === STORE_FILE_GONE || code === PG_UNAVAILABLE);
}

/** Our code for a PostgreSQL database that cannot be reached or cannot write (postgres/faults.ts). */
export const PG_UNAVAILABLE = 'RW_PG_UNAVAILABLE';

/** An error that carries a code across threads (worker replies keep `code`). */
export function codedError(message: string, code: string | undefined): Error {
  const error = new Error(message) as Error & { code?: string };
  if (code) error.code = code;
  return error;
}
