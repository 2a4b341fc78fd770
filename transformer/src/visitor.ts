import type * as TS from 'typescript';
import type {
  Chain,
  Hint,
  InstrumentDiagnostic,
  MemberKey,
  ResolvedInstrumentOptions,
  RootName,
} from '@raceway/instrument-core';
import { diagnostic, Emitter, hintOfDecorator, hintsInComments, location } from '@raceway/instrument-core';
import type { TsBuilder } from './builder.js';

type Expr = TS.Expression;

/** Per-file state: what is tracked, which functions need segment boundaries. */
interface FileState {
  ts: typeof TS;
  sf: TS.SourceFile;
  checker: TS.TypeChecker;
  context: TS.TransformationContext;
  options: ResolvedInstrumentOptions;
  relative: string;
  moduleName: string;
  entry: TS.Identifier;
  builder: TsBuilder;
  tracked: Map<TS.Symbol, string>;
  /** A tracked binding declared in a function → the constant naming each call of that function. */
  callScopes: Map<TS.Symbol, TS.Identifier>;
  /** Functions (original nodes) that declare tracked bindings → their call-name constant. */
  scopeOwners: Map<TS.Node, TS.Identifier>;
  /** class node → tracked #private names → class name */
  privateFields: Map<TS.Node, Map<string, string>>;
  /** class node → tracked public fields declared without initialiser (created by an assignment) → class name */
  uninitialisedFields: Map<TS.Node, Map<string, string>>;
  needsBoundaries: Set<TS.Node>;
  changed: boolean;
  diagnostics: InstrumentDiagnostic[];
}

function hintsAt(s: FileState, node: TS.Node): Set<Hint> {
  // A comment on the same line as the previous token counts as that token's trailing comment for
  // TypeScript (`const f = /** @traced */ () => {}`); both kinds before the node are its hints.
  const ranges = [
    ...(s.ts.getTrailingCommentRanges(s.sf.text, node.pos) ?? []),
    ...(s.ts.getLeadingCommentRanges(s.sf.text, node.pos) ?? []),
  ];
  return hintsInComments(ranges.map((r) => s.sf.text.slice(r.pos, r.end)));
}

function loc(s: FileState, node: TS.Node): string {
  const { line, character } = s.sf.getLineAndCharacterOfPosition(node.getStart(s.sf));
  return location(s.relative, line + 1, character + 1);
}

function warn(s: FileState, code: Parameters<typeof diagnostic>[0], node: TS.Node): void {
  const { line, character } = s.sf.getLineAndCharacterOfPosition(node.getStart(s.sf));
  s.diagnostics.push(diagnostic(code, s.relative, line + 1, character + 1));
}

function isWrapper(ts: typeof TS, node: TS.Node): node is TS.Expression & { expression: TS.Expression } {
  return (
    ts.isParenthesizedExpression(node) ||
    ts.isNonNullExpression(node) ||
    ts.isAsExpression(node) ||
    ts.isSatisfiesExpression(node) ||
    ts.isTypeAssertionExpression(node)
  );
}

function unwrap(ts: typeof TS, node: TS.Expression): TS.Expression {
  let current = node;
  while (isWrapper(ts, current)) current = current.expression;
  return current;
}

function decoratorHints(
  s: FileState,
  node: TS.HasModifiers,
): { hints: Set<Hint>; rest: TS.ModifierLike[] | undefined } {
  const ts = s.ts;
  const hints = new Set<Hint>();
  const mods = node.modifiers;
  if (!mods) return { hints, rest: undefined };
  const rest = mods.filter((m) => {
    if (!ts.isDecorator(m)) return true;
    const e = m.expression;
    const text = ts.isIdentifier(e) ? e.text : ts.isPropertyAccessExpression(e) ? e.name.text : '';
    const hint = hintOfDecorator(text);
    if (hint) hints.add(hint);
    return !hint;
  });
  return { hints, rest };
}

function className(ts: typeof TS, cls: TS.ClassLikeDeclaration): string {
  if (cls.name) return cls.name.text;
  if (ts.isVariableDeclaration(cls.parent) && ts.isIdentifier(cls.parent.name)) return cls.parent.name.text;
  return 'AnonymousClass';
}

/** Collects tracked symbols and #private fields, and the functions that touch them. */
function collect(s: FileState): void {
  const ts = s.ts;
  const addBinding = (name: TS.BindingName, declared: string | undefined, callScope?: TS.Identifier) => {
    if (ts.isIdentifier(name)) {
      const symbol = s.checker.getSymbolAtLocation(name);
      if (symbol) s.tracked.set(symbol, declared ?? name.text);
      if (symbol && callScope) s.callScopes.set(symbol, callScope);
      return;
    }
    for (const el of name.elements) if (!ts.isOmittedExpression(el)) addBinding(el.name, undefined, callScope);
  };
  const visit = (node: TS.Node): void => {
    if (ts.isVariableStatement(node) && hintsAt(s, node).has('tracked')) {
      // Declared in a function: each call has its own bindings, named after the call (`makeQueue#3.pending`).
      const fn = ts.findAncestor(
        node.parent,
        (n) =>
          ts.isSourceFile(n) ||
          ts.isClassStaticBlockDeclaration(n) ||
          (ts.isFunctionLike(n) && 'body' in n && n.body !== undefined),
      );
      let callScope: TS.Identifier | undefined;
      if (fn && ts.isFunctionLike(fn)) {
        callScope = s.scopeOwners.get(fn);
        if (!callScope) s.scopeOwners.set(fn, (callScope = s.context.factory.createUniqueName('rwcall')));
      }
      for (const d of node.declarationList.declarations) addBinding(d.name, undefined, callScope);
    } else if (ts.isImportDeclaration(node) && hintsAt(s, node).has('tracked') && node.importClause) {
      const clause = node.importClause;
      if (clause.name) addBinding(clause.name, undefined);
      const bindings = clause.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) addBinding(bindings.name, undefined);
      if (bindings && ts.isNamedImports(bindings))
        for (const el of bindings.elements) addBinding(el.name, (el.propertyName ?? el.name).text);
    } else if ((ts.isFunctionDeclaration(node) || ts.isParameter(node)) && hintsAt(s, node).has('tracked')) {
      // Never silently ignored: @tracked names state (bindings, imports, fields), not functions or parameters.
      warn(s, 'RW1001', node);
    } else if (
      (ts.isMethodDeclaration(node) || ts.isGetAccessor(node) || ts.isSetAccessor(node)) &&
      hintsAt(s, node).has('tracked')
    ) {
      warn(s, 'RW1004', node);
    } else if (
      ts.isPropertyDeclaration(node) &&
      !node.initializer &&
      (ts.isIdentifier(node.name) || ts.isStringLiteral(node.name))
    ) {
      const { hints } = decoratorHints(s, node);
      if (hints.has('tracked') || hintsAt(s, node).has('tracked')) {
        const cls = node.parent as TS.ClassLikeDeclaration;
        if (!s.uninitialisedFields.has(cls)) s.uninitialisedFields.set(cls, new Map());
        const isStatic = (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.StaticKeyword);
        s.uninitialisedFields.get(cls)!.set(`${isStatic ? 'static ' : ''}${node.name.text}`, className(ts, cls));
      }
    } else if (ts.isPropertyDeclaration(node) && ts.isPrivateIdentifier(node.name)) {
      const { hints } = decoratorHints(s, node);
      if (hints.has('tracked') || hintsAt(s, node).has('tracked')) {
        const cls = node.parent as TS.ClassLikeDeclaration;
        if (!s.privateFields.has(cls)) s.privateFields.set(cls, new Map());
        s.privateFields.get(cls)!.set(node.name.text, className(ts, cls));
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(s.sf);
}

function trackedName(s: FileState, original: TS.Node): string | undefined {
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

function trackedPrivate(s: FileState, name: TS.PrivateIdentifier): string | undefined {
  for (let n: TS.Node | undefined = name.parent; n; n = n.parent) {
    if (s.ts.isClassLike(n)) {
      const fields = s.privateFields.get(n);
      if (fields?.has(name.text)) return fields.get(name.text);
    }
  }
  return undefined;
}

/** Is `node` (an original node) a reference, not a declaration name or a property name? */
function isReference(ts: typeof TS, node: TS.Identifier): boolean {
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
function chainOf(s: FileState, originalIn: TS.Expression, updatedIn: TS.Expression): Chain<Expr> | undefined {
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
function handledByParent(ts: typeof TS, node: TS.Node): boolean {
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

function isAssignmentOperator(ts: typeof TS, kind: TS.SyntaxKind): boolean {
  return kind >= ts.SyntaxKind.FirstAssignment && kind <= ts.SyntaxKind.LastAssignment;
}

/** Is this literal part of the left side of a destructuring assignment? */
function isInPattern(ts: typeof TS, node: TS.Node): boolean {
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
function compoundText(ts: typeof TS, kind: TS.SyntaxKind): string {
  return ts.tokenToString(kind)!;
}

export function emitter(s: FileState, at: TS.Node): Emitter<Expr> {
  s.changed = true;
  return new Emitter(s.builder, loc(s, at));
}

export type { FileState };
export {
  isInPattern,
  chainOf,
  className,
  collect,
  decoratorHints,
  handledByParent,
  hintsAt,
  isReference,
  loc,
  trackedName,
  unwrap,
  warn,
  compoundText,
  isAssignmentOperator,
  trackedPrivate,
};
