import type { MemberKey } from '../rewrite/builder.js';
import type { Chain, RootName } from '../rewrite/chain.js';

/** A member key as written: `.name`, `.#name`, `["text"]`, `[1]`, or any other `[expression]`. */
export type KeySyntax<E> =
  | { kind: 'name'; name: string }
  /** `name` includes the `#` */
  | { kind: 'private'; name: string }
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'computed'; expr: E };

/** What a host tells about one node of its AST, so that member chains are recognised the same way in both. */
export interface ChainSyntax<N, E> {
  /** The node without the wrappers that do not change its value (parentheses, `!`, `as`, `satisfies`, `<T>`). */
  unwrap(node: N): N;
  /** How events name the tracked binding an identifier node refers to; undefined for anything else. */
  trackedRoot(node: N): RootName<E> | undefined;
  /** The parts of a member access (`a.b`, `a?.[k]`, `a.#p`); undefined when the node is none. */
  member(node: N): { object: N; key: KeySyntax<E>; optional: boolean } | undefined;
  /** The class whose tracked `#field` the private key `name` at `node` denotes, if it is one. */
  trackedPrivateOwner(node: N, name: string): string | undefined;
  /** The expression to emit for a node (after its own sub-expressions were rewritten). */
  expr(node: N): E;
  isThis(node: N): boolean;
}

/** The static key a written key stands for (`["a"]` is `.a`, `[1]` and `["1"]` are one key), or its expression. */
export function memberKeyOf<E>(key: KeySyntax<E>): MemberKey<E> {
  switch (key.kind) {
    case 'name':
      return { kind: 'static', name: key.name, isPrivate: false };
    case 'private':
      return { kind: 'static', name: key.name, isPrivate: true };
    case 'string':
      return { kind: 'static', name: key.value, isPrivate: false };
    case 'number':
      return { kind: 'static', name: String(key.value), isPrivate: false };
    case 'computed':
      return { kind: 'dynamic', expr: key.expr };
  }
}

/**
 * The tracked chain a node denotes: a tracked binding followed by member accesses
 * (`accounts[from].balance`), or a tracked `#field` of an instance (`this.#balance.total`).
 * Undefined when the node reaches no tracked state.
 */
export function memberChain<N, E>(syntax: ChainSyntax<N, E>, input: N): Chain<E> | undefined {
  const node = syntax.unwrap(input);
  const rootName = syntax.trackedRoot(node);
  if (rootName !== undefined) return { rootName, root: syntax.expr(node), rootIsIdentifier: true, segments: [] };
  const member = syntax.member(node);
  if (!member) return undefined;
  const segment = { key: memberKeyOf(member.key), optional: member.optional };
  const inner = memberChain(syntax, member.object);
  if (inner) return { ...inner, segments: [...inner.segments, segment] };
  if (member.key.kind !== 'private') return undefined;
  // `obj.#field` where the class tracks `#field`: the instance is the root, named at run time.
  const className = syntax.trackedPrivateOwner(node, member.key.name);
  if (className === undefined) return undefined;
  const object = syntax.unwrap(member.object);
  return {
    rootName: { kind: 'instance', className },
    root: syntax.expr(object),
    rootIsIdentifier: syntax.isThis(object),
    segments: [segment],
  };
}
