/**
 * Where an expression sits in its parent, for the one question recognition asks of parents: is a chain
 * here rewritten by the enclosing construct as a whole (`a.b` in `a.b = 1` is a write, not a read of
 * `a.b` followed by a write)? Hosts map their AST to these positions (looking through wrappers such as
 * parentheses and `as`); the rules are here.
 */
export type ChainPosition =
  /** `x` in `x.y`, `x[k]`, `x?.y` */
  | 'member-object'
  /** `x` in `x(...)` */
  | 'callee'
  /** `x` in ``x`...` `` */
  | 'template-tag'
  /** the left side of `=`, `+=`, `??=`, … */
  | 'assignment-target'
  /** the operand of `++`/`--` */
  | 'update-operand'
  | 'delete-operand'
  /** `x` in `k in x` */
  | 'in-right'
  /** `export { x }` */
  | 'export-specifier'
  /** `x` in `for (x of xs)`, `for (x in o)` */
  | 'loop-head'
  /** a target inside a destructuring assignment's pattern */
  | 'pattern-target'
  /** `<x.Y />`: a component reference, not a read the app makes */
  | 'jsx-tag'
  | 'other';

/**
 * True when the enclosing construct handles the chain at `position` itself. A call or a template tag
 * handles only a member (`obj.m()` records the method call with `this` kept; a plain `f()` is a read of `f`).
 */
export function consumedByParent(position: ChainPosition, isMember: boolean): boolean {
  switch (position) {
    case 'callee':
    case 'template-tag':
      return isMember;
    case 'other':
      return false;
    default:
      return true;
  }
}
