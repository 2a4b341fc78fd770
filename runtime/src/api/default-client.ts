import { state } from '../context/process-state.js';

/**
 * The process default client: the first one constructed, or one made from the environment the first
 * time instrumented code records something. Held in the process state so both module builds share it.
 */
export function getDefaultClient<T>(): T | undefined {
  return state.defaultClient as T | undefined;
}

export function setDefaultClientIfNone(client: unknown): void {
  state.defaultClient ??= client;
}

/** Makes `client` the default even if another one was first (or clears it with undefined). */
export function replaceDefaultClient(client: unknown): void {
  state.defaultClient = client;
}
