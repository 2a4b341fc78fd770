import type * as TS from 'typescript';
import type { Builder, EntryName, MemberKey } from '@raceway/instrument-core';
import { isIdentifierName } from '@raceway/instrument-core';

type Expr = TS.Expression;

/** The rewrite rules' Builder over TypeScript nodes, made with the host's own `ts.factory`. */
export class TsBuilder implements Builder<Expr> {
  private readonly f: TS.NodeFactory;

  constructor(
    private readonly ts: typeof TS,
    private readonly context: TS.TransformationContext,
    private readonly entryName: TS.Identifier,
  ) {
    this.f = context.factory;
  }

  /** Temporaries of the parameter defaults being rewritten, innermost last (see `withParamTemps`). */
  readonly paramTemps: TS.Identifier[][] = [];

  temp(): Expr {
    const id = this.f.createUniqueName('rw');
    // A parameter default cannot see the body's variables (and hoisting one there makes TypeScript move
    // the default into the body): its temporaries are declared around it.
    const collecting = this.paramTemps.at(-1);
    if (collecting) collecting.push(id);
    else this.context.hoistVariableDeclaration(id);
    return id;
  }

  /** `expr` with the temporaries it used declared in an arrow called in place: `(() => { var t; return expr; })()`. */
  wrapWithTemps(expr: Expr, temps: TS.Identifier[]): Expr {
    const f = this.f;
    const declarations = f.createVariableStatement(
      undefined,
      f.createVariableDeclarationList(temps.map((id) => f.createVariableDeclaration(id))),
    );
    const arrow = f.createArrowFunction(
      undefined,
      undefined,
      [],
      undefined,
      f.createToken(this.ts.SyntaxKind.EqualsGreaterThanToken),
      f.createBlock([declarations, f.createReturnStatement(expr)], true),
    );
    return f.createCallExpression(f.createParenthesizedExpression(arrow), undefined, []);
  }
  ref(identifier: Expr): Expr {
    // Identifiers and `this` carry no state of their own: the same node may be referenced again.
    return identifier;
  }
  str(value: string): Expr {
    return this.f.createStringLiteral(value);
  }
  bool(value: boolean): Expr {
    return value ? this.f.createTrue() : this.f.createFalse();
  }
  undef(): Expr {
    return this.f.createVoidZero();
  }
  entry(name: EntryName, args: Expr[]): Expr {
    return this.f.createCallExpression(this.f.createPropertyAccessExpression(this.entryName, name), undefined, args);
  }
  assign(target: Expr, value: Expr): Expr {
    return this.f.createAssignment(target, value);
  }
  seq(items: Expr[]): Expr {
    return items.length === 1
      ? items[0]!
      : this.f.createParenthesizedExpression(this.f.createCommaListExpression(items));
  }
  member(object: Expr, key: MemberKey<Expr>): Expr {
    const f = this.f;
    if (key.kind === 'dynamic') return f.createElementAccessExpression(object, key.expr);
    if (key.isPrivate) return f.createPropertyAccessExpression(object, f.createPrivateIdentifier(key.name));
    if (!key.name.startsWith('#') && isIdentifierName(key.name))
      return f.createPropertyAccessExpression(object, key.name);
    return f.createElementAccessExpression(object, f.createStringLiteral(key.name));
  }
  isNullish(value: Expr): Expr {
    return this.f.createBinaryExpression(value, this.ts.SyntaxKind.EqualsEqualsToken, this.f.createNull());
  }
  cond(test: Expr, whenTrue: Expr, whenFalse: Expr): Expr {
    return this.f.createParenthesizedExpression(
      this.f.createConditionalExpression(test, undefined, whenTrue, undefined, whenFalse),
    );
  }
  binary(operator: string, left: Expr, right: Expr): Expr {
    const kind = BINARY[operator];
    if (kind === undefined) throw new Error(`raceway: unsupported compound operator ${operator}=`);
    return this.f.createParenthesizedExpression(
      this.f.createBinaryExpression(
        left,
        this.ts.SyntaxKind[kind] as unknown as TS.BinaryOperator,
        this.f.createParenthesizedExpression(right),
      ),
    );
  }
  logical(operator: '&&' | '||' | '??', left: Expr, right: Expr): Expr {
    const kind =
      operator === '&&' ? 'AmpersandAmpersandToken' : operator === '||' ? 'BarBarToken' : 'QuestionQuestionToken';
    return this.f.createParenthesizedExpression(
      this.f.createBinaryExpression(
        left,
        this.ts.SyntaxKind[kind] as unknown as TS.BinaryOperator,
        this.f.createParenthesizedExpression(right),
      ),
    );
  }
  update(operator: '++' | '--', prefix: boolean, target: Expr): Expr {
    const op = operator === '++' ? this.ts.SyntaxKind.PlusPlusToken : this.ts.SyntaxKind.MinusMinusToken;
    return prefix ? this.f.createPrefixUnaryExpression(op, target) : this.f.createPostfixUnaryExpression(target, op);
  }
  del(member: Expr): Expr {
    return this.f.createDeleteExpression(member);
  }
  inOp(key: Expr, object: Expr): Expr {
    return this.f.createParenthesizedExpression(
      this.f.createBinaryExpression(key, this.ts.SyntaxKind.InKeyword, object),
    );
  }
  array(items: Array<{ expr: Expr; spread: boolean }>): Expr {
    return this.f.createArrayLiteralExpression(
      items.map((i) => (i.spread ? this.f.createSpreadElement(i.expr) : i.expr)),
    );
  }
}

const BINARY: Record<string, keyof typeof TS.SyntaxKind> = {
  '+': 'PlusToken',
  '-': 'MinusToken',
  '*': 'AsteriskToken',
  '/': 'SlashToken',
  '%': 'PercentToken',
  '**': 'AsteriskAsteriskToken',
  '<<': 'LessThanLessThanToken',
  '>>': 'GreaterThanGreaterThanToken',
  '>>>': 'GreaterThanGreaterThanGreaterThanToken',
  '&': 'AmpersandToken',
  '|': 'BarToken',
  '^': 'CaretToken',
};
