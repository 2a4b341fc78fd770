import type { NodePath, types as BabelTypes } from '@babel/core';
import type { Builder, EntryName, MemberKey } from '@raceway/instrument-core';

type t = typeof BabelTypes;
type Expr = BabelTypes.Expression;

/** The rewrite rules' Builder over Babel nodes. Every node it makes is remembered as generated. */
export class BabelBuilder implements Builder<Expr> {
  constructor(
    private readonly types: t,
    private readonly entryName: string,
    private readonly scopePath: NodePath,
    readonly generated: WeakSet<object>,
    /** Set while a parameter default is rewritten: its temporaries go here, not into the function body. */
    private readonly paramTemps?: BabelTypes.Identifier[],
  ) {}

  private mark<N extends BabelTypes.Node>(node: N): N {
    this.generated.add(node);
    return node;
  }

  temp(): Expr {
    const scope = this.scopePath.scope.getFunctionParent() ?? this.scopePath.scope.getProgramParent();
    const id = scope.generateUidIdentifier('rw');
    // A parameter default cannot see the body's variables: its temporaries are declared around it.
    if (this.paramTemps) this.paramTemps.push(this.types.cloneNode(id));
    else scope.push({ id: this.types.cloneNode(id) });
    return this.mark(id);
  }
  ref(identifier: Expr): Expr {
    return this.mark(this.types.cloneNode(identifier, true));
  }
  str(value: string): Expr {
    return this.mark(this.types.stringLiteral(value));
  }
  bool(value: boolean): Expr {
    return this.mark(this.types.booleanLiteral(value));
  }
  undef(): Expr {
    return this.mark(this.types.unaryExpression('void', this.types.numericLiteral(0)));
  }
  entry(name: EntryName, args: Expr[]): Expr {
    const t = this.types;
    return this.mark(t.callExpression(t.memberExpression(t.identifier(this.entryName), t.identifier(name)), args));
  }
  assign(target: Expr, value: Expr): Expr {
    return this.mark(this.types.assignmentExpression('=', target as BabelTypes.LVal, value));
  }
  seq(items: Expr[]): Expr {
    return items.length === 1 ? items[0]! : this.mark(this.types.sequenceExpression(items));
  }
  member(object: Expr, key: MemberKey<Expr>): Expr {
    const t = this.types;
    if (key.kind === 'dynamic') return this.mark(t.memberExpression(object, key.expr, true));
    if (key.isPrivate)
      return this.mark(t.memberExpression(object, t.privateName(t.identifier(key.name.replace(/^#/, '')))));
    if (t.isValidIdentifier(key.name, false)) return this.mark(t.memberExpression(object, t.identifier(key.name)));
    return this.mark(t.memberExpression(object, t.stringLiteral(key.name), true));
  }
  isNullish(value: Expr): Expr {
    return this.mark(this.types.binaryExpression('==', value, this.types.nullLiteral()));
  }
  cond(test: Expr, whenTrue: Expr, whenFalse: Expr): Expr {
    return this.mark(this.types.conditionalExpression(test, whenTrue, whenFalse));
  }
  binary(operator: string, left: Expr, right: Expr): Expr {
    return this.mark(this.types.binaryExpression(operator as BabelTypes.BinaryExpression['operator'], left, right));
  }
  logical(operator: '&&' | '||' | '??', left: Expr, right: Expr): Expr {
    return this.mark(this.types.logicalExpression(operator, left, right));
  }
  update(operator: '++' | '--', prefix: boolean, target: Expr): Expr {
    return this.mark(this.types.updateExpression(operator, target, prefix));
  }
  del(member: Expr): Expr {
    return this.mark(this.types.unaryExpression('delete', member));
  }
  inOp(key: Expr, object: Expr): Expr {
    return this.mark(this.types.binaryExpression('in', key, object));
  }
  array(items: Array<{ expr: Expr; spread: boolean }>): Expr {
    const t = this.types;
    return this.mark(t.arrayExpression(items.map((i) => (i.spread ? this.mark(t.spreadElement(i.expr)) : i.expr))));
  }
}
