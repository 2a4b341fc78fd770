import type { MemberKey } from './builder.js';

/** How the root of a tracked path is named. */
export type RootName =
  /** A tracked binding: its name is known at build time. */
  | { kind: 'static'; name: string }
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
  rootName: RootName;
  root: E;
  /** True when `root` is a plain identifier that can be referenced again without a temporary. */
  rootIsIdentifier: boolean;
  segments: Array<Segment<E>>;
}

export function hasOptional<E>(chain: Chain<E>): boolean {
  return chain.segments.some((s) => s.optional);
}
