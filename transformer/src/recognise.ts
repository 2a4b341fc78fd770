// Recognising tracked expressions in TypeScript's AST: tracked symbols, member chains, #private fields, the
// contexts that rewrite a node themselves, and the names of functions.
import type { Chain, ChainPosition, ChainSyntax, FunctionSite, KeySyntax, RootName } from '@raceway/instrument-core';
import { ANONYMOUS_CLASS, consumedByParent, functionNameOf, memberChain } from '@raceway/instrument-core';
import type * as TS from 'typescript';
import type { Expr, FileState } from './file-state.js';

function isWrapper(ts: typeof TS, node: TS.Node): node is TS.Expression & { expression: TS.Expression } {
  return (
    ts.isParenthesizedExpression(node) ||
    ts.isNonNullExpression(node) ||
    ts.isAsExpression(node) ||
    ts.isSatisfiesExpression(node) ||
    ts.isTypeAssertionExpression(node)
  );
}

export function unwrap(ts: typeof TS, node: TS.Expression): TS.Expression {
  let current = node;
  while (isWrapper(ts, current)) current = current.expression;
  return current;
}

export function className(ts: typeof TS, cls: TS.ClassLikeDeclaration): string {
  if (cls.name) return cls.name.text;
  if (ts.isVariableDeclaration(cls.parent) && ts.isIdentifier(cls.parent.name)) return cls.parent.name.text;
  return ANONYMOUS_CLASS;
}

export function trackedName(s: FileState, original: TS.Node): string | undefined {
  const ts = s.ts;
  if (!ts.isIdentifier(original)) return undefined;
  const parent = original.parent;
  let symbol: TS.Symbol | undefined;
  if (parent && ts.isShorthandPropertyAssignment(parent) && parent.name === original)
    symbol = s.checker.getShorthandAssignmentValueSymbol(parent);
  else symbol = s.checker.getSymbolAtLocation(original);
  // For an annotated import the alias symbol itself is what `collect` stored.
  return symbol ? s.tracked.get(symbol) : undefined;
}

/** How events name the tracked binding an identifier refers to: per call when a function declares it. */
export function trackedRoot(s: FileState, original: TS.Node): RootName<Expr> | undefined {
  const name = trackedName(s, original);
  if (name === undefined) return undefined;
  const parent = original.parent;
  const ts = s.ts;
  const symbol =
    parent && ts.isShorthandPropertyAssignment(parent) && parent.name === original
      ? s.checker.getShorthandAssignmentValueSymbol(parent)
      : s.checker.getSymbolAtLocation(original);
  const callScope = symbol && s.callScopes.get(symbol);
  return callScope ? { kind: 'scoped', name, scope: callScope } : { kind: 'static', name };
}

export function trackedPrivate(s: FileState, name: TS.PrivateIdentifier): string | undefined {
  for (let n: TS.Node | undefined = name.parent; n; n = n.parent) {
    if (s.ts.isClassLike(n)) {
      const fields = s.privateFields.get(n);
      if (fields?.has(name.text)) return fields.get(name.text);
    }
  }
  return undefined;
}

/** Is `node` (an original node) a reference, not a declaration name or a property name? */
export function isReference(ts: typeof TS, node: TS.Identifier): boolean {
  const p = node.parent;
  if (!p) return false;
  if (ts.isPropertyAccessExpression(p) && p.name === node) return false;
  if (ts.isQualifiedName(p)) return false;
  if (
    (ts.isVariableDeclaration(p) ||
      ts.isParameter(p) ||
      ts.isFunctionDeclaration(p) ||
      ts.isFunctionExpression(p) ||
      ts.isClassDeclaration(p) ||
      ts.isBindingElement(p) ||
      ts.isImportSpecifier(p) ||
      ts.isImportClause(p) ||
      ts.isNamespaceImport(p) ||
      ts.isPropertyAssignment(p) ||
      ts.isMethodDeclaration(p) ||
      ts.isPropertyDeclaration(p) ||
      ts.isExportSpecifier(p) ||
      ts.isLabeledStatement(p) ||
      ts.isBreakOrContinueStatement(p) ||
      ts.isTypeReferenceNode(p) ||
      ts.isPropertySignature(p)) &&
    (p as { name?: TS.Node }).name === node
  ) {
    return false;
  }
  if (ts.isBindingElement(p) && p.propertyName === node) return false;
  if (ts.isExportSpecifier(p) || ts.isImportSpecifier(p)) return false;
  return true;
}

/** An original node with its instrumented counterpart (same shape; children already rewritten). */
export interface NodePair {
  original: TS.Expression;
  updated: TS.Expression;
}

export function keySyntax(ts: typeof TS, pair: NodePair): KeySyntax<Expr> | undefined {
  const { original, updated } = pair;
  if (ts.isPropertyAccessExpression(original))
    return ts.isPrivateIdentifier(original.name)
      ? { kind: 'private', name: original.name.text }
      : { kind: 'name', name: original.name.text };
  if (!ts.isElementAccessExpression(original) || !ts.isElementAccessExpression(updated)) return undefined;
  const arg = original.argumentExpression;
  if (ts.isStringLiteral(arg) || ts.isNoSubstitutionTemplateLiteral(arg)) return { kind: 'string', value: arg.text };
  if (ts.isNumericLiteral(arg)) return { kind: 'number', value: Number(arg.text) };
  return { kind: 'computed', expr: updated.argumentExpression };
}

/** The transformer's view of member chains for instrument-core's `memberChain`. */
function chainSyntax(s: FileState): ChainSyntax<NodePair, Expr> {
  const ts = s.ts;
  return {
    unwrap: (pair) => ({ original: unwrap(ts, pair.original), updated: unwrap(ts, pair.updated) }),
    trackedRoot: (pair) => (ts.isIdentifier(pair.original) ? trackedRoot(s, pair.original) : undefined),
    member: (pair) => {
      const { original, updated } = pair;
      const access =
        (ts.isPropertyAccessExpression(original) && ts.isPropertyAccessExpression(updated)) ||
        (ts.isElementAccessExpression(original) && ts.isElementAccessExpression(updated));
      const key = access ? keySyntax(ts, pair) : undefined;
      if (!key) return undefined;
      const o = original as TS.PropertyAccessExpression | TS.ElementAccessExpression;
      const u = updated as TS.PropertyAccessExpression | TS.ElementAccessExpression;
      return { object: { original: o.expression, updated: u.expression }, key, optional: Boolean(o.questionDotToken) };
    },
    trackedPrivateOwner: (pair) =>
      ts.isPropertyAccessExpression(pair.original) && ts.isPrivateIdentifier(pair.original.name)
        ? trackedPrivate(s, pair.original.name)
        : undefined,
    expr: (pair) => pair.updated,
    isThis: (pair) => pair.updated.kind === ts.SyntaxKind.ThisKeyword,
  };
}

/**
 * The chain an expression denotes. `original` identifies (symbols, parents); `updated` is the same
 * shape after its children were instrumented, and supplies the sub-expressions.
 */
export function chainOf(s: FileState, original: TS.Expression, updated: TS.Expression): Chain<Expr> | undefined {
  return memberChain(chainSyntax(s), { original, updated });
}

/** Where `child` (looked at through wrappers) sits in `parent`, for the shared rule of `consumedByParent`. */
function positionIn(ts: typeof TS, parent: TS.Node, child: TS.Node): ChainPosition {
  if ((ts.isPropertyAccessExpression(parent) || ts.isElementAccessExpression(parent)) && parent.expression === child)
    return 'member-object';
  if (ts.isCallExpression(parent)) return parent.expression === child ? 'callee' : 'other';
  if (ts.isTaggedTemplateExpression(parent)) return parent.tag === child ? 'template-tag' : 'other';
  if (ts.isBinaryExpression(parent)) {
    if (parent.left === child && isAssignmentOperator(ts, parent.operatorToken.kind)) return 'assignment-target';
    if (parent.right === child && parent.operatorToken.kind === ts.SyntaxKind.InKeyword) return 'in-right';
    return 'other';
  }
  if (ts.isPrefixUnaryExpression(parent) || ts.isPostfixUnaryExpression(parent))
    return parent.operator === ts.SyntaxKind.PlusPlusToken || parent.operator === ts.SyntaxKind.MinusMinusToken
      ? 'update-operand'
      : 'other';
  if (ts.isDeleteExpression(parent)) return 'delete-operand';
  if (ts.isExportSpecifier(parent)) return 'export-specifier';
  if (
    (ts.isJsxOpeningElement(parent) || ts.isJsxSelfClosingElement(parent) || ts.isJsxClosingElement(parent)) &&
    parent.tagName === child
  )
    return 'jsx-tag';
  if ((ts.isForInStatement(parent) || ts.isForOfStatement(parent)) && parent.initializer === child) return 'loop-head';
  if (
    (ts.isShorthandPropertyAssignment(parent) ||
      ts.isArrayLiteralExpression(parent) ||
      ts.isPropertyAssignment(parent) ||
      ts.isSpreadElement(parent) ||
      ts.isSpreadAssignment(parent)) &&
    isInPattern(ts, parent)
  )
    return 'pattern-target';
  return 'other';
}

/** True when an enclosing construct handles this (original) node's whole chain. */
export function handledByParent(ts: typeof TS, node: TS.Node): boolean {
  let child = node;
  let parent = node.parent;
  while (parent && isWrapper(ts, parent)) {
    child = parent;
    parent = parent.parent;
  }
  if (!parent) return false;
  const inner = isWrapper(ts, child) ? unwrap(ts, child) : child;
  const isMember = ts.isPropertyAccessExpression(inner) || ts.isElementAccessExpression(inner);
  return consumedByParent(positionIn(ts, parent, child), isMember);
}

export function isAssignmentOperator(ts: typeof TS, kind: TS.SyntaxKind): boolean {
  return kind >= ts.SyntaxKind.FirstAssignment && kind <= ts.SyntaxKind.LastAssignment;
}

/** Is this literal part of the left side of a destructuring assignment? */
export function isInPattern(ts: typeof TS, node: TS.Node): boolean {
  let child: TS.Node = node;
  let p = node.parent;
  while (
    p &&
    (ts.isArrayLiteralExpression(p) ||
      ts.isObjectLiteralExpression(p) ||
      ts.isPropertyAssignment(p) ||
      ts.isShorthandPropertyAssignment(p) ||
      ts.isSpreadElement(p) ||
      ts.isSpreadAssignment(p) ||
      isWrapper(ts, p) ||
      (ts.isBinaryExpression(p) &&
        p.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
        p.left === child &&
        (ts.isArrayLiteralExpression(p.parent) ||
          ts.isObjectLiteralExpression(p.parent) ||
          ts.isPropertyAssignment(p.parent))))
  ) {
    child = p;
    p = p.parent;
  }
  return Boolean(
    p &&
    ts.isBinaryExpression(p) &&
    p.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
    p.left === child &&
    (ts.isArrayLiteralExpression(child) || ts.isObjectLiteralExpression(child)),
  );
}

/** `+=` for PlusEqualsToken, and so on: the operator text the shared rules expect. */
export function compoundText(ts: typeof TS, kind: TS.SyntaxKind): string {
  return ts.tokenToString(kind)!;
}

function propertyKey(ts: typeof TS, key: TS.PropertyName): KeySyntax<unknown> {
  if (ts.isIdentifier(key)) return { kind: 'name', name: key.text };
  if (ts.isPrivateIdentifier(key)) return { kind: 'private', name: key.text };
  if (ts.isStringLiteral(key) || ts.isNoSubstitutionTemplateLiteral(key)) return { kind: 'string', value: key.text };
  if (ts.isNumericLiteral(key)) return { kind: 'number', value: Number(key.text) };
  // `['name']()` is named like `name()`; any other computed key is not known before run time.
  if (ts.isComputedPropertyName(key) && (ts.isStringLiteralLike(key.expression) || ts.isNumericLiteral(key.expression)))
    return propertyKey(ts, key.expression);
  return { kind: 'computed', expr: key };
}

/** Where a function is written, for instrument-core's naming rules, and the node its location points at. */
function functionSite(ts: typeof TS, node: TS.FunctionLikeDeclaration): { site: FunctionSite; at: TS.Node } {
  if (ts.isClassLike(node.parent) && (ts.isMethodDeclaration(node) || ts.isAccessor(node)))
    return {
      site: { kind: 'class-member', className: className(ts, node.parent), key: propertyKey(ts, node.name) },
      at: node.name,
    };
  if (ts.isConstructorDeclaration(node))
    return {
      site: { kind: 'class-member', className: className(ts, node.parent), key: { kind: 'name', name: 'constructor' } },
      at: node.getChildren().find((c) => c.kind === ts.SyntaxKind.ConstructorKeyword) ?? node,
    };
  if (
    ts.isMethodDeclaration(node) ||
    (node.parent && ts.isPropertyAssignment(node.parent) && node.parent.initializer === node)
  ) {
    const key = ts.isMethodDeclaration(node) ? node.name : (node.parent as TS.PropertyAssignment).name;
    const literal = ts.isMethodDeclaration(node) ? node.parent : node.parent.parent;
    const holder = literal.parent;
    return {
      site: {
        kind: 'object-member',
        holder:
          holder && ts.isVariableDeclaration(holder) && ts.isIdentifier(holder.name) ? holder.name.text : undefined,
        key: propertyKey(ts, key),
      },
      at: ts.isMethodDeclaration(node) ? node.name : node,
    };
  }
  if ((ts.isFunctionDeclaration(node) || ts.isFunctionExpression(node)) && node.name)
    return { site: { kind: 'named', name: node.name.text }, at: node.name };
  const p = node.parent;
  if (p && ts.isVariableDeclaration(p) && ts.isIdentifier(p.name))
    return { site: { kind: 'variable', name: p.name.text }, at: node };
  if (
    p &&
    ts.isBinaryExpression(p) &&
    p.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
    p.right === node &&
    ts.isPropertyAccessExpression(p.left) &&
    ts.isIdentifier(p.left.name)
  )
    return { site: { kind: 'member-assignment', property: p.left.name.text }, at: node };
  return { site: { kind: 'anonymous' }, at: node };
}

export function functionName(s: FileState, node: TS.FunctionLikeDeclaration): { name: string; at: TS.Node } {
  const { site, at } = functionSite(s.ts, node);
  return { name: functionNameOf(site), at };
}

/** The class whose instance (or, in static members, the class itself) `this` is at `node`, and whether static. */
function thisOfClass(ts: typeof TS, node: TS.Node): { cls: TS.ClassLikeDeclaration; isStatic: boolean } | undefined {
  for (let n: TS.Node | undefined = node.parent; n; n = n.parent) {
    if (ts.isArrowFunction(n)) continue;
    if (
      ts.isConstructorDeclaration(n) ||
      ts.isMethodDeclaration(n) ||
      ts.isGetAccessor(n) ||
      ts.isSetAccessor(n) ||
      ts.isPropertyDeclaration(n) ||
      ts.isClassStaticBlockDeclaration(n)
    ) {
      if (!ts.isClassLike(n.parent)) return undefined;
      const isStatic =
        ts.isClassStaticBlockDeclaration(n) ||
        (ts.canHaveModifiers(n) && (ts.getModifiers(n) ?? []).some((m) => m.kind === ts.SyntaxKind.StaticKeyword));
      return { cls: n.parent, isStatic };
    }
    if (ts.isFunctionLike(n) || ts.isClassLike(n) || ts.isSourceFile(n)) return undefined;
  }
  return undefined;
}

/** `this.field = …` where `field` is a tracked field of the class declared without initialiser. */
export function uninitialisedFieldAssigned(
  s: FileState,
  node: TS.BinaryExpression,
): { owner: string; name: string } | undefined {
  const ts = s.ts;
  const left = node.left;
  if (
    !ts.isPropertyAccessExpression(left) ||
    left.expression.kind !== ts.SyntaxKind.ThisKeyword ||
    !ts.isIdentifier(left.name)
  )
    return undefined;
  const at = thisOfClass(ts, node);
  const fields = at && s.uninitialisedFields.get(at.cls);
  const owner = fields?.get(`${at!.isStatic ? 'static ' : ''}${left.name.text}`);
  return owner === undefined ? undefined : { owner, name: left.name.text };
}

export function patternHasTracked(s: FileState, node: TS.Node): boolean {
  const ts = s.ts;
  let found = false;
  const visit = (n: TS.Node): void => {
    if (found) return;
    if (ts.isIdentifier(n) && trackedName(s, n) !== undefined) found = true;
    else if (ts.isPrivateIdentifier(n) && trackedPrivate(s, n)) found = true;
    else ts.forEachChild(n, visit);
  };
  visit(node);
  return found;
}

export function boundNames(ts: typeof TS, name: TS.BindingName, out: TS.Identifier[]): TS.Identifier[] {
  if (ts.isIdentifier(name)) out.push(name);
  else for (const el of name.elements) if (!ts.isOmittedExpression(el)) boundNames(ts, el.name, out);
  return out;
}

/** Whether an assignment target (a loop head) writes tracked state: a tracked binding or a tracked chain, also inside a pattern. */
export function targetsTracked(s: FileState, target: TS.Node): boolean {
  const { ts } = s;
  if (ts.isIdentifier(target)) return trackedName(s, target) !== undefined;
  if ((ts.isPropertyAccessExpression(target) || ts.isElementAccessExpression(target)) && chainOf(s, target, target))
    return true;
  return ts.forEachChild(target, (child) => (targetsTracked(s, child) ? true : undefined)) === true;
}

/** The default value of a parameter, or of a binding element inside a destructured parameter. */
export function isParameterDefault(ts: typeof TS, node: TS.Node): boolean {
  const parent = node.parent;
  if (!parent) return false;
  if (ts.isParameter(parent)) return parent.initializer === node;
  if (!ts.isBindingElement(parent) || parent.initializer !== node) return false;
  let p: TS.Node | undefined = parent.parent;
  while (p && (ts.isObjectBindingPattern(p) || ts.isArrayBindingPattern(p) || ts.isBindingElement(p))) p = p.parent;
  return Boolean(p && ts.isParameter(p));
}
