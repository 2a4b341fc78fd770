import { state } from '../context/process-state.js';

/** What a default client hands over when another takes its place (see `adoptAsDefault`). */
export interface AdoptableClient {
  /** Stops sending and gives back what was recorded and not sent yet. */
  surrender(): unknown[];
  /** Takes records another client recorded (they get this client's service identity). */
  adopt(records: unknown[]): void;
}

/**
 * The process default client: the first one the app constructs, or one made from the environment the
 * first time instrumented code records something (provisional: the first client the app constructs then
 * takes its place). Held in the process state so both module builds share it.
 */
export function getDefaultClient<T>(): T | undefined {
  return state.defaultClient as T | undefined;
}

/** Called by every client constructed: it becomes the default when there is none, or only a provisional one. */
export function offerDefaultClient(client: AdoptableClient, options: { provisional?: boolean } = {}): void {
  if (state.defaultClient === undefined) {
    state.defaultClient = client;
    state.defaultProvisional = options.provisional === true;
  } else if (state.defaultProvisional && !options.provisional) {
    adoptAsDefault(client);
  }
}

/**
 * Makes `client` the default. A provisional default's unsent events move to it, so everything the process
 * recorded carries one service name and nothing is sent on the side.
 */
export function adoptAsDefault(client: AdoptableClient): void {
  const previous = state.defaultClient as AdoptableClient | undefined;
  if (previous && previous !== client && state.defaultProvisional) client.adopt(previous.surrender());
  state.defaultClient = client;
  state.defaultProvisional = false;
}

/** Makes `client` the default even if another one was first (or clears it with undefined). */
export function replaceDefaultClient(client: unknown): void {
  state.defaultClient = client;
  state.defaultProvisional = false;
}
