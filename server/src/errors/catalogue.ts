/** Every error the server answers with: a stable code, an HTTP status, a message. The README lists them. */
export const ErrorCatalogue = {
  RW_BAD_JSON: { status: 400, message: 'the request body is not valid JSON' },
  RW_BAD_BATCH: { status: 400, message: 'the body must be {"events": [...]}' },
  RW_BAD_QUERY: { status: 400, message: 'invalid query parameters' },
  RW_BAD_URL: { status: 400, message: 'the request URL is malformed' },
  RW_UNAUTHORIZED: {
    status: 401,
    message: 'a valid API key is required (Authorization: Bearer <key> or X-Raceway-Key)',
  },
  RW_CROSS_SITE: { status: 403, message: 'requests from other web sites are refused' },
  RW_NOT_FOUND: { status: 404, message: 'no such route' },
  RW_TRACE_NOT_FOUND: { status: 404, message: 'no such trace' },
  RW_RACE_NOT_FOUND: { status: 404, message: 'no such race' },
  RW_BODY_TOO_LARGE: { status: 413, message: 'the request body is larger than 8 MiB' },
  RW_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'the body must be sent as Content-Type: application/json' },
  RW_INTERNAL: { status: 500, message: 'internal error' },
  RW_STORAGE_UNAVAILABLE: {
    status: 503,
    message: 'the store cannot write (disk full, read-only or removed); nothing in this request was stored',
  },
} as const;

export type ErrorCode = keyof typeof ErrorCatalogue;

/** The body of every error reply: the Raceway envelope plus a code. */
export function errorBody(
  code: ErrorCode,
  message?: string,
): { success: false; data: null; error: string; code: ErrorCode; statusCode: number } {
  const entry = ErrorCatalogue[code];
  return { success: false, data: null, error: message ?? entry.message, code, statusCode: entry.status };
}
