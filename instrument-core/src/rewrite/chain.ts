import type { MemberKey } from './builder.js';

/** How the root of a tracked path is named. */
export type RootName<E = unknown> =
  /** A tracked binding of a module (or an import): its name is known at build time. */
  | { kind: 'static'; name: string }
  /**
   * A tracked binding declared in a function: each call has its own, named after the call
   * (`makeQueue#3.pending`); `scope` refers to the constant holding the call's name (`scope(...)` entry).
   */
  | { kind: 'scoped'; name: string; scope: E }
  /** A `#private` tracked field: the instance's name (`Account#3`) is known only at run time. */
  | { kind: 'instance'; className: string };

export interface Segment<E> {
  key: MemberKey<E>;
  /** `?.` before this segment */
  optional: boolean;
}

/**
 * A path rooted at tracked state: `accounts[from].balance` is root `accounts`, segments
 * `[from]` (dynamic) and `.balance` (static). `root` is evaluated once, first.
 */
export interface Chain<E> {
  rootName: RootName<E>;
  root: E;
  /** True when `root` is a plain identifier that can be referenced again without a temporary. */
  rootIsIdentifier: boolean;
  segments: Array<Segment<E>>;
}

export function hasOptional<E>(chain: Chain<E>): boolean {
  return chain.segments.some((s) => s.optional);
}
