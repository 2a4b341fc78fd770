import type { EntryName } from '../contract/entry.js';

/**
 * What the rewrite rules need from a host AST. `E` is the host's expression node type. Every method
 * returns a new node; `ref` makes another reference to an identifier (hosts must not reuse nodes).
 */
export interface Builder<E> {
  /** A fresh temporary, declared by the host in the enclosing function (or module). */
  temp(): E;
  ref(identifier: E): E;
  str(value: string): E;
  bool(value: boolean): E;
  undef(): E;
  /** `<entry>.<name>(...args)` */
  entry(name: EntryName, args: E[]): E;
  assign(target: E, value: E): E;
  seq(items: E[]): E;
  /** `object.name`, `object.#name`, or `object[key]` */
  member(object: E, key: MemberKey<E>): E;
  /** `value == null` */
  isNullish(value: E): E;
  cond(test: E, whenTrue: E, whenFalse: E): E;
  /** Arithmetic/bitwise operator of a compound assignment, e.g. `+` for `+=`. */
  binary(operator: string, left: E, right: E): E;
  logical(operator: '&&' | '||' | '??', left: E, right: E): E;
  update(operator: '++' | '--', prefix: boolean, target: E): E;
  /** `delete <member>` */
  del(member: E): E;
  /** `key in object` */
  inOp(key: E, object: E): E;
  array(items: Array<{ expr: E; spread: boolean }>): E;
}

export type MemberKey<E> = { kind: 'static'; name: string; isPrivate: boolean } | { kind: 'dynamic'; expr: E };
