import { readFileSync } from 'node:fs';
import type { Server, ServerResponse, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

/** File descriptors kept for the database, its WAL, worker threads, logs and the source files read for reports. */
const FD_RESERVE = 128;
/** Slots kept free for new connections: a flood of idle sockets makes room by losing its oldest members. */
const FREE_SLOTS = 8;
const DEFAULT_FD_LIMIT = 1024;

export interface ConnectionLimits {
  /** Most sockets open at once. */
  maxConnections: number;
  /** Whole request (headers and body) must arrive within this (ms); a slow body gets 408 and the socket closes. */
  requestTimeoutMs: number;
  /** Headers must arrive within this (ms). */
  headersTimeoutMs: number;
  /** An idle keep-alive socket closes after this (ms). */
  keepAliveTimeoutMs: number;
}

/** The soft limit on open files of this process (Linux `/proc/self/limits`), or a common default elsewhere. */
export function openFileLimit(): number {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (m) return m[1] === 'unlimited' ? 1_048_576 : Number(m[1]);
  } catch {
    // not Linux
  }
  return DEFAULT_FD_LIMIT;
}

/** Defaults: connections capped below the fd limit, so the process never runs out of descriptors. */
export function defaultConnectionLimits(fdLimit = openFileLimit()): ConnectionLimits {
  return {
    maxConnections: Math.max(16, Math.min(65_536, fdLimit - FD_RESERVE)),
    requestTimeoutMs: 30_000,
    headersTimeoutMs: 10_000,
    keepAliveTimeoutMs: 10_000,
  };
}

const busy = Symbol('raceway.requestsInFlight');
type TrackedSocket = Socket & { [busy]?: number };

/**
 * Applies the limits to a Node HTTP server. Node refuses connections beyond `maxConnections`, so without
 * more a flood of idle sockets (or slow headers) would lock everyone out until it times out; instead, when
 * fewer than FREE_SLOTS remain, the oldest sockets with no request in progress are closed to make room, so
 * `/health` and ingest stay reachable.
 */
export function guardConnections(server: Server, limits: ConnectionLimits): void {
  server.maxConnections = limits.maxConnections;
  server.requestTimeout = limits.requestTimeoutMs;
  server.headersTimeout = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs);
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  const open = new Set<TrackedSocket>(); // insertion order = age
  server.on('connection', (socket: TrackedSocket) => {
    if (open.size >= limits.maxConnections - FREE_SLOTS) {
      for (const old of open) {
        if (open.size < limits.maxConnections - FREE_SLOTS) break;
        if (!old[busy]) {
          open.delete(old);
          old.destroy();
        }
      }
    }
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const socket = request.socket as TrackedSocket;
    socket[busy] = (socket[busy] ?? 0) + 1;
    response.once('close', () => {
      socket[busy] = (socket[busy] ?? 1) - 1;
    });
  });
}
