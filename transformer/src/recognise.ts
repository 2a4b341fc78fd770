// Recognising tracked expressions in TypeScript's AST: tracked symbols, member chains, #private fields, the
// contexts that rewrite a node themselves, and the names of functions.
import type { Chain, MemberKey, RootName } from '@raceway/instrument-core';
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
  return 'AnonymousClass';
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

/**
 * The chain an expression denotes. `original` identifies (symbols, parents); `updated` is the same
 * shape after its children were instrumented, and supplies the sub-expressions.
 */
export function chainOf(s: FileState, originalIn: TS.Expression, updatedIn: TS.Expression): Chain<Expr> | undefined {
  const ts = s.ts;
  const original = unwrap(ts, originalIn);
  const updated = unwrap(ts, updatedIn);
  if (ts.isIdentifier(original)) {
    const rootName = trackedRoot(s, original);
    if (rootName === undefined) return undefined;
    return { rootName, root: updated, rootIsIdentifier: true, segments: [] };
  }
  if (ts.isPropertyAccessExpression(original) && ts.isPropertyAccessExpression(updated)) {
    const optional = Boolean(original.questionDotToken);
    if (ts.isPrivateIdentifier(original.name)) {
      const key: MemberKey<Expr> = { kind: 'static', name: original.name.text, isPrivate: true };
      const inner = chainOf(s, original.expression, updated.expression);
      if (inner) return { ...inner, segments: [...inner.segments, { key, optional }] };
      const cls = trackedPrivate(s, original.name);
      if (!cls) return undefined;
      const object = unwrap(ts, updated.expression);
      return {
        rootName: { kind: 'instance', className: cls },
        root: object,
        rootIsIdentifier: object.kind === ts.SyntaxKind.ThisKeyword,
        segments: [{ key, optional }],
      };
    }
    const inner = chainOf(s, original.expression, updated.expression);
    if (!inner) return undefined;
    return {
      ...inner,
      segments: [...inner.segments, { key: { kind: 'static', name: original.name.text, isPrivate: false }, optional }],
    };
  }
  if (ts.isElementAccessExpression(original) && ts.isElementAccessExpression(updated)) {
    const inner = chainOf(s, original.expression, updated.expression);
    if (!inner) return undefined;
    const arg = original.argumentExpression;
    let key: MemberKey<Expr>;
    if (ts.isStringLiteral(arg) || ts.isNoSubstitutionTemplateLiteral(arg))
      key = { kind: 'static', name: arg.text, isPrivate: false };
    else if (ts.isNumericLiteral(arg)) key = { kind: 'static', name: String(Number(arg.text)), isPrivate: false };
    else key = { kind: 'dynamic', expr: updated.argumentExpression };
    return { ...inner, segments: [...inner.segments, { key, optional: Boolean(original.questionDotToken) }] };
  }
  return undefined;
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
  if ((ts.isPropertyAccessExpression(parent) || ts.isElementAccessExpression(parent)) && parent.expression === child)
    return true;
  if (ts.isCallExpression(parent) && parent.expression === child)
    return (
      ts.isPropertyAccessExpression(child) ||
      ts.isElementAccessExpression(child) ||
      (isWrapper(ts, child) &&
        (ts.isPropertyAccessExpression(unwrap(ts, child as TS.Expression)) ||
          ts.isElementAccessExpression(unwrap(ts, child as TS.Expression))))
    );
  if (ts.isBinaryExpression(parent)) {
    if (parent.left === child && isAssignmentOperator(ts, parent.operatorToken.kind)) return true;
    if (parent.right === child && parent.operatorToken.kind === ts.SyntaxKind.InKeyword) return true;
    return false;
  }
  if (ts.isPrefixUnaryExpression(parent) || ts.isPostfixUnaryExpression(parent)) {
    return parent.operator === ts.SyntaxKind.PlusPlusToken || parent.operator === ts.SyntaxKind.MinusMinusToken;
  }
  if (ts.isDeleteExpression(parent)) return true;
  // `obj.tag\`...\``: the tag is called as a method of obj (this === obj); the template records the read of obj.
  if (ts.isTaggedTemplateExpression(parent) && parent.tag === child)
    return (
      ts.isPropertyAccessExpression(unwrap(ts, child as TS.Expression)) ||
      ts.isElementAccessExpression(unwrap(ts, child as TS.Expression))
    );
  if (ts.isExportSpecifier(parent)) return true;
  if (
    (ts.isJsxOpeningElement(parent) || ts.isJsxSelfClosingElement(parent) || ts.isJsxClosingElement(parent)) &&
    parent.tagName === child
  )
    return true;
  if ((ts.isForInStatement(parent) || ts.isForOfStatement(parent)) && parent.initializer === child) return true;
  if (ts.isShorthandPropertyAssignment(parent) && isInPattern(ts, parent)) return true;
  if (
    (ts.isArrayLiteralExpression(parent) ||
      ts.isPropertyAssignment(parent) ||
      ts.isSpreadElement(parent) ||
      ts.isSpreadAssignment(parent)) &&
    isInPattern(ts, parent)
  )
    return true;
  return false;
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

export function functionName(s: FileState, node: TS.FunctionLikeDeclaration): { name: string; at: TS.Node } {
  const ts = s.ts;
  const keyName = (key: TS.PropertyName): string =>
    ts.isIdentifier(key) || ts.isStringLiteral(key) || ts.isNumericLiteral(key)
      ? key.text
      : ts.isPrivateIdentifier(key)
        ? key.text
        : '[computed]';
  if (ts.isMethodDeclaration(node) && ts.isClassLike(node.parent))
    return { name: `${className(ts, node.parent)}.${keyName(node.name)}`, at: node.name };
  if (
    ts.isMethodDeclaration(node) ||
    (node.parent && ts.isPropertyAssignment(node.parent) && node.parent.initializer === node)
  ) {
    const key = ts.isMethodDeclaration(node) ? node.name : (node.parent as TS.PropertyAssignment).name;
    const literal = ts.isMethodDeclaration(node) ? node.parent : node.parent.parent;
    const holder = literal.parent;
    const prefix =
      holder && ts.isVariableDeclaration(holder) && ts.isIdentifier(holder.name) ? `${holder.name.text}.` : '';
    return { name: `${prefix}${keyName(key)}`, at: ts.isMethodDeclaration(node) ? node.name : node };
  }
  if ((ts.isFunctionDeclaration(node) || ts.isFunctionExpression(node)) && node.name)
    return { name: node.name.text, at: node.name };
  const p = node.parent;
  if (p && ts.isVariableDeclaration(p) && ts.isIdentifier(p.name)) return { name: p.name.text, at: node };
  if (p && ts.isBinaryExpression(p) && ts.isPropertyAccessExpression(p.left) && ts.isIdentifier(p.left.name))
    return { name: p.left.name.text, at: node };
  return { name: 'anonymous', at: node };
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

/** Shorthand properties that are destructuring targets are handled by the assignment. */
export function patternContext(ts: typeof TS, node: TS.ShorthandPropertyAssignment): boolean {
  let child: TS.Node = node.parent;
  let p = child.parent;
  while (
    p &&
    (ts.isArrayLiteralExpression(p) ||
      ts.isObjectLiteralExpression(p) ||
      ts.isPropertyAssignment(p) ||
      ts.isSpreadElement(p) ||
      ts.isSpreadAssignment(p) ||
      ts.isParenthesizedExpression(p))
  ) {
    child = p;
    p = p.parent;
  }
  return Boolean(
    p && ts.isBinaryExpression(p) && p.operatorToken.kind === ts.SyntaxKind.EqualsToken && p.left === child,
  );
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
