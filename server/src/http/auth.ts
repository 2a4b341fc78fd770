import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Checks a request's key against the configured ones in constant time. No keys: open. */
export function makeKeyCheck(keys: readonly string[]): (headers: IncomingHttpHeaders) => boolean {
  const digests = keys.map(digest);
  return (headers) => {
    if (digests.length === 0) return true;
    const auth = headers.authorization;
    // The scheme name is case-insensitive (RFC 9110 §11.1).
    const bearer =
      typeof auth === 'string' && /^bearer[ \t]+/i.test(auth) ? auth.replace(/^bearer[ \t]+/i, '').trim() : undefined;
    const header = headers['x-raceway-key'];
    const presented = bearer ?? (typeof header === 'string' ? header : undefined);
    if (!presented) return false;
    const d = digest(presented);
    let ok = false;
    for (const k of digests) ok = timingSafeEqual(d, k) || ok;
    return ok;
  };
}
