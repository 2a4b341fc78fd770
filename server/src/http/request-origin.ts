import type { IncomingHttpHeaders } from 'node:http';

/** Names of loopback addresses: `localhost`, 127.x.y.z, ::1 (bracketed or not). */
const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|::1|\[::1\])$/i;

/** Whether `host` (a name or address, without port) only reaches this machine. */
export const isLoopbackHost = (host: string) => LOOPBACK.test(host);

/** The host part of a Host header (`name:port`, `[v6]:port`). */
const hostOf = (header: string) => header.replace(/:\d+$/, '');

/**
 * Why a request must be refused as coming from another web site, or undefined. Browsers tell us:
 * `Sec-Fetch-Site` (anything but `same-origin`/`none` is another site, including another port of
 * localhost, which counts as the "same site") and `Origin` (must name this very host). SDKs and curl
 * send neither and pass. This stops a page the developer visits from posting `text/plain` forms or
 * `fetch` calls into the store.
 */
export function crossSiteReason(headers: IncomingHttpHeaders): string | undefined {
  const host = typeof headers.host === 'string' ? headers.host : '';
  const site = headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') return `a ${site} browser request`;
  const origin = headers.origin;
  if (typeof origin === 'string') {
    let originHost: string | undefined;
    try {
      originHost = origin === 'null' ? undefined : new URL(origin).host;
    } catch {
      originHost = undefined;
    }
    if (originHost === undefined || originHost.toLowerCase() !== host.toLowerCase())
      return `a browser request from origin ${origin.slice(0, 200)}`;
  }
  return undefined;
}

/**
 * For a server bound to loopback: why a request whose Host is not a loopback name must be refused. A page
 * on a DNS name that rebinds to 127.0.0.1 is "same origin" to the browser; its Host header still says
 * the page's name.
 */
export function foreignHostReason(host: string | undefined): string | undefined {
  return host !== undefined && isLoopbackHost(hostOf(host))
    ? undefined
    : `the Host header "${String(host ?? '').slice(0, 100)}" does not name this loopback server`;
}

/** Whether the Content-Type names JSON (`application/json`, with or without parameters). */
export function isJsonContentType(value: string | undefined): boolean {
  if (!value) return false;
  return value.split(';')[0]!.trim().toLowerCase() === 'application/json';
}
