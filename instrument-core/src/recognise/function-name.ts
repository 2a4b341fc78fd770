import type { KeySyntax } from './member-chain.js';

/**
 * Where a function is written, as far as its name goes. Hosts describe the site in their AST; the
 * name events and reports use is made here, so both instrumenters name every function alike.
 */
export type FunctionSite =
  /** A class member: `class Account { deposit() {} }` is `Account.deposit`. */
  | { kind: 'class-member'; className: string; key: KeySyntax<unknown> }
  /** An object literal member (`{ run() {} }`, `{ run: () => {} }`), prefixed by the variable holding the literal. */
  | { kind: 'object-member'; holder: string | undefined; key: KeySyntax<unknown> }
  /** `function transfer() {}`, or a named function expression. */
  | { kind: 'named'; name: string }
  /** `const transfer = async () => {}` */
  | { kind: 'variable'; name: string }
  /** `exports.transfer = function () {}` is `transfer` */
  | { kind: 'member-assignment'; property: string }
  | { kind: 'anonymous' };

/** The text of a member key in a name: the identifier, `#private`, the string or number, else `[computed]`. */
export function keyText(key: KeySyntax<unknown>): string {
  switch (key.kind) {
    case 'name':
    case 'private':
      return key.name;
    case 'string':
      return key.value;
    case 'number':
      return String(key.value);
    case 'computed':
      return '[computed]';
  }
}

/** A class without a name of its own takes the name of the variable that holds it. */
export const ANONYMOUS_CLASS = 'AnonymousClass';

export function functionNameOf(site: FunctionSite): string {
  switch (site.kind) {
    case 'class-member':
      return `${site.className}.${keyText(site.key)}`;
    case 'object-member':
      return `${site.holder === undefined ? '' : `${site.holder}.`}${keyText(site.key)}`;
    case 'named':
    case 'variable':
      return site.name;
    case 'member-assignment':
      return site.property;
    case 'anonymous':
      return 'anonymous';
  }
}
