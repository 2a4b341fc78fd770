import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import type { TaskContext } from './task.js';

/**
 * Everything that must be one per process even when the ESM and the CommonJS builds of the SDK are
 * both loaded (an ESM app importing instrumented CommonJS code, say): the context store, counters,
 * segment state, the default client. It lives on globalThis under a registered symbol.
 */
export interface ProcessState {
  readonly storage: AsyncLocalStorage<TaskContext>;
  /** 8 hex digits that make task and event ids unique across processes. */
  readonly tag: string;
  /** Fixed first half of every event id: `xxxxxxxx-xxxx-8xxx-`. */
  readonly eventIdPrefix: string;
  sequence: number;
  taskCounter: number;
  segment: number;
  segmentArmed: boolean;
  runStartedAt: number;
  /** Set by the first RacewayClient constructed (typed loosely to avoid an import cycle). */
  defaultClient: unknown;
  /**
   * The default client was made by instrumented code before the app built one (from the environment):
   * the first client the app builds takes its place and its events.
   */
  defaultProvisional?: boolean;
  /** Hooks installed once per process: 'timers', 'fetch', 'http'. */
  readonly installed: Set<string>;
}

const KEY = Symbol.for('@raceway/runtime/process-state@1');

function createState(): ProcessState {
  const bytes = randomBytes(8);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80; // UUID version 8: custom layout
  const hex = bytes.toString('hex');
  return {
    storage: new AsyncLocalStorage<TaskContext>(),
    tag: hex.slice(0, 8),
    eventIdPrefix: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-`,
    sequence: 0,
    taskCounter: 0,
    segment: 1,
    segmentArmed: false,
    runStartedAt: 0,
    defaultClient: undefined,
    installed: new Set(),
  };
}

const holder = globalThis as unknown as Record<symbol, ProcessState | undefined>;

export const state: ProcessState = (holder[KEY] ??= createState());
