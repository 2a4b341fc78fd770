import type * as TS from 'typescript';
import type { Chain, FileScope, InstrumentDiagnostic, ResolvedInstrumentOptions } from '@raceway/instrument-core';
import {
  Entry,
  hasOptional,
  hintNearMisses,
  INSTRUMENTED_MARKER,
  mayHoldHints,
  nearMissDiagnostics,
} from '@raceway/instrument-core';
import { TsBuilder } from './builder.js';
import type { FileState } from './visitor.js';
import {
  chainOf,
  className,
  collect,
  compoundText,
  decoratorHints,
  emitter,
  handledByParent,
  hintsAt,
  isAssignmentOperator,
  isInPattern,
  isReference,
  loc,
  trackedName,
  trackedPrivate,
  trackedRoot,
  unwrap,
  warn,
} from './visitor.js';

type Expr = TS.Expression;

function isTracedFunction(s: FileState, node: TS.Node): boolean {
  const ts = s.ts;
  if (!ts.isFunctionLike(node) || !('body' in node) || !node.body) return false;
  if (ts.isMethodDeclaration(node) && decoratorHints(s, node).hints.has('traced')) return true;
  if (hintsAt(s, node).has('traced')) return true;
  const p = node.parent;
  // `{ /** @traced */ key: () => {} }`: the comment belongs to the property.
  if (
    (ts.isFunctionExpression(node) || ts.isArrowFunction(node)) &&
    p &&
    ts.isPropertyAssignment(p) &&
    p.initializer === node
  )
    return hintsAt(s, p).has('traced');
  if (
    (ts.isFunctionExpression(node) || ts.isArrowFunction(node)) &&
    p &&
    ts.isVariableDeclaration(p) &&
    p.initializer === node
  ) {
    const list = p.parent;
    if (ts.isVariableDeclarationList(list) && list.declarations.length === 1 && ts.isVariableStatement(list.parent))
      return hintsAt(s, list.parent).has('traced');
  }
  return false;
}

/** Functions (and the file itself) in which awaits and yields become segment boundaries. */
function markBoundaryScopes(s: FileState): void {
  const ts = s.ts;
  const scopeOf = (node: TS.Node): TS.Node =>
    ts.findAncestor(node.parent, (n) => ts.isFunctionLike(n) && 'body' in n) ?? s.sf;
  const visit = (node: TS.Node): void => {
    if (ts.isIdentifier(node) && isReference(ts, node) && trackedName(s, node) !== undefined)
      s.needsBoundaries.add(scopeOf(node));
    if (ts.isPrivateIdentifier(node) && trackedPrivate(s, node)) s.needsBoundaries.add(scopeOf(node));
    if (isTracedFunction(s, node)) s.needsBoundaries.add(node);
    ts.forEachChild(node, visit);
  };
  visit(s.sf);
}

function functionName(s: FileState, node: TS.FunctionLikeDeclaration): { name: string; at: TS.Node } {
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

function argsOf(s: FileState, params: readonly TS.ParameterDeclaration[]): Expr {
  const ts = s.ts;
  const b = s.builder;
  if (s.options.trackArgs === 'none') return b.array([]);
  const items = params
    .filter((p) => !(ts.isIdentifier(p.name) && p.name.text === 'this'))
    .map((p) => {
      if (ts.isIdentifier(p.name))
        return { expr: s.context.factory.createIdentifier(p.name.text) as Expr, spread: Boolean(p.dotDotDotToken) };
      return { expr: b.str('[pattern]'), spread: false };
    });
  return b.entry(Entry.args, [b.array(items), b.str(s.options.trackArgs)]);
}

function hasModifier(ts: typeof TS, node: TS.Node, kind: TS.SyntaxKind): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === kind);
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
function uninitialisedFieldAssigned(
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

/** A `var` or function declared in the body under a parameter's name (the same binding, as written). */
function redeclaresParameter(ts: typeof TS, fn: TS.FunctionLikeDeclaration): boolean {
  const names = new Set<string>();
  const bind = (name: TS.BindingName) => {
    if (ts.isIdentifier(name)) names.add(name.text);
    else for (const element of name.elements) if (!ts.isOmittedExpression(element)) bind(element.name);
  };
  for (const p of fn.parameters) bind(p.name);
  if (names.size === 0 || !fn.body || !ts.isBlock(fn.body)) return false;
  let found = false;
  const visit = (node: TS.Node): void => {
    if (found) return;
    if (ts.isFunctionDeclaration(node) && node.parent === fn.body && node.name && names.has(node.name.text))
      found = true;
    if (ts.isFunctionLike(node) || ts.isClassLike(node)) return;
    if (ts.isVariableDeclarationList(node) && !(node.flags & ts.NodeFlags.BlockScoped)) {
      const declared = new Set<string>();
      const collect = (name: TS.BindingName) => {
        if (ts.isIdentifier(name)) declared.add(name.text);
        else for (const element of name.elements) if (!ts.isOmittedExpression(element)) collect(element.name);
      };
      for (const d of node.declarations) collect(d.name);
      for (const n of declared) if (names.has(n)) found = true;
    }
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(fn.body, visit);
  return found;
}

/** Wraps a traced function (already instrumented inside) so that calls are recorded. */
function wrapTraced(s: FileState, original: TS.FunctionLikeDeclaration, updated: TS.FunctionLikeDeclaration): TS.Node {
  const ts = s.ts;
  const f = s.context.factory;
  if (ts.isConstructorDeclaration(original) || ts.isGetAccessor(original) || ts.isSetAccessor(original)) {
    warn(s, 'RW1002', original);
    return updated;
  }
  const { name, at } = functionName(s, original);
  const b = s.builder;
  const site = [b.str(name), b.str(s.moduleName), b.str(loc(s, at))];
  const args = argsOf(s, original.parameters);
  s.changed = true;
  const isAsync = hasModifier(ts, original, ts.SyntaxKind.AsyncKeyword);
  const body = updated.body!;
  let newBody: TS.ConciseBody;
  let parameters: readonly TS.ParameterDeclaration[] = updated.parameters;
  if (original.asteriskToken) {
    const block = body as TS.Block;
    newBody = f.updateBlock(block, [
      f.createExpressionStatement(b.entry(Entry.enter, [...site, args])),
      ...block.statements,
    ]);
  } else {
    const arrow = f.createToken(ts.SyntaxKind.EqualsGreaterThanToken);
    const asyncModifier = isAsync ? [f.createModifier(ts.SyntaxKind.AsyncKeyword)] : undefined;
    const simple = original.parameters.every((p) => !p.initializer && ts.isIdentifier(p.name));
    let inner: TS.ArrowFunction;
    let callArgs = args;
    if ((isAsync && !simple) || redeclaresParameter(ts, original)) {
      // The parameters move with the body into the inner function (defaults evaluated inside the call, a
      // throwing one rejecting, `var`s in the body sharing their names); the outer one keeps `length`.
      const own = updated.parameters.filter((p) => !(ts.isIdentifier(p.name) && p.name.text === 'this'));
      const counted = own.findIndex((p) => p.initializer !== undefined || p.dotDotDotToken !== undefined);
      const placeholders = own.slice(0, counted === -1 ? own.length : counted).map(() => f.createUniqueName('rwp'));
      const rest = f.createUniqueName('rwrest');
      const moved = own.map((p) =>
        f.updateParameterDeclaration(p, p.modifiers, p.dotDotDotToken, p.name, p.questionToken, p.type, p.initializer),
      );
      const bodyFn = f.createArrowFunction(asyncModifier, undefined, moved, undefined, arrow, body);
      inner = f.createArrowFunction(
        undefined,
        undefined,
        [],
        undefined,
        f.createToken(ts.SyntaxKind.EqualsGreaterThanToken),
        f.createCallExpression(f.createParenthesizedExpression(bodyFn), undefined, [
          ...placeholders,
          f.createSpreadElement(rest),
        ]),
      );
      parameters = [
        ...updated.parameters.filter((p) => !own.includes(p)),
        ...placeholders.map((id) => f.createParameterDeclaration(undefined, undefined, id)),
        f.createParameterDeclaration(undefined, f.createToken(ts.SyntaxKind.DotDotDotToken), rest),
      ];
      if (s.options.trackArgs !== 'none')
        callArgs = b.entry(Entry.args, [
          b.array([
            ...placeholders.map((id) => ({ expr: id as Expr, spread: false })),
            { expr: rest as Expr, spread: true },
          ]),
          b.str(s.options.trackArgs),
        ]);
    } else {
      inner = f.createArrowFunction(asyncModifier, undefined, [], undefined, arrow, body);
    }
    const call = b.entry(isAsync ? Entry.callAsync : Entry.callSync, [...site, callArgs, inner]);
    newBody =
      ts.isArrowFunction(updated) && !ts.isBlock(updated.body)
        ? call
        : f.createBlock([f.createReturnStatement(call)], true);
  }
  // An async function would wrap the traced call's promise in its own, settling turns later: the outer
  // function returns that promise itself (its parameters, now plain, cannot throw).
  const returnsPromiseItself = isAsync && !original.asteriskToken;
  const modifiers = returnsPromiseItself
    ? updated.modifiers?.filter((m) => m.kind !== ts.SyntaxKind.AsyncKeyword)
    : updated.modifiers;
  if (ts.isFunctionDeclaration(updated))
    return f.updateFunctionDeclaration(
      updated,
      modifiers as readonly TS.ModifierLike[] | undefined,
      updated.asteriskToken,
      updated.name,
      updated.typeParameters,
      parameters,
      updated.type,
      newBody as TS.Block,
    );
  if (ts.isFunctionExpression(updated))
    return f.updateFunctionExpression(
      updated,
      modifiers as readonly TS.Modifier[] | undefined,
      updated.asteriskToken,
      updated.name,
      updated.typeParameters,
      parameters,
      updated.type,
      newBody as TS.Block,
    );
  if (ts.isArrowFunction(updated))
    return f.updateArrowFunction(
      updated,
      modifiers as readonly TS.Modifier[] | undefined,
      updated.typeParameters,
      parameters,
      updated.type,
      updated.equalsGreaterThanToken,
      newBody,
    );
  if (ts.isMethodDeclaration(updated)) {
    const { rest } = decoratorHints(s, updated);
    const kept = returnsPromiseItself ? rest?.filter((m) => m.kind !== ts.SyntaxKind.AsyncKeyword) : rest;
    return f.updateMethodDeclaration(
      updated,
      kept,
      updated.asteriskToken,
      updated.name,
      updated.questionToken,
      updated.typeParameters,
      parameters,
      updated.type,
      newBody as TS.Block,
    );
  }
  return updated;
}

/** Replaces tracked targets of a destructuring literal by temporaries; the writes are emitted after. */
function rewritePattern(
  s: FileState,
  original: Expr,
  updated: Expr,
  out: Array<{ chain: Chain<Expr>; temp: Expr; at: TS.Node }>,
): Expr {
  const ts = s.ts;
  const f = s.context.factory;
  const o = unwrap(ts, original);
  const u = unwrap(ts, updated);
  if (ts.isArrayLiteralExpression(o) && ts.isArrayLiteralExpression(u)) {
    return f.updateArrayLiteralExpression(
      u,
      u.elements.map((el, i) => rewritePattern(s, o.elements[i]!, el, out)),
    );
  }
  if (ts.isObjectLiteralExpression(o) && ts.isObjectLiteralExpression(u)) {
    return f.updateObjectLiteralExpression(
      u,
      u.properties.map((prop, i) => {
        const op = o.properties[i]!;
        if (ts.isPropertyAssignment(op) && ts.isPropertyAssignment(prop))
          return f.updatePropertyAssignment(prop, prop.name, rewritePattern(s, op.initializer, prop.initializer, out));
        if (ts.isShorthandPropertyAssignment(op) && ts.isShorthandPropertyAssignment(prop)) {
          const rootName = trackedRoot(s, op.name);
          if (rootName === undefined) return prop;
          const temp = s.builder.temp();
          out.push({ chain: { rootName, root: op.name, rootIsIdentifier: true, segments: [] }, temp, at: op.name });
          const value = prop.objectAssignmentInitializer
            ? f.createAssignment(temp, prop.objectAssignmentInitializer)
            : temp;
          return f.createPropertyAssignment(f.createIdentifier(op.name.text), value);
        }
        if (ts.isSpreadAssignment(op) && ts.isSpreadAssignment(prop))
          return f.updateSpreadAssignment(prop, rewritePattern(s, op.expression, prop.expression, out));
        return prop;
      }),
    );
  }
  if (ts.isSpreadElement(o) && ts.isSpreadElement(u))
    return f.updateSpreadElement(u, rewritePattern(s, o.expression, u.expression, out));
  if (ts.isBinaryExpression(o) && ts.isBinaryExpression(u) && o.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
    return f.updateBinaryExpression(u, rewritePattern(s, o.left, u.left, out), u.operatorToken, u.right);
  }
  const chain = chainOf(s, o, u);
  if (!chain) return updated;
  const temp = s.builder.temp();
  out.push({ chain, temp, at: o });
  return temp;
}

function patternHasTracked(s: FileState, node: TS.Node): boolean {
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

function boundNames(ts: typeof TS, name: TS.BindingName, out: TS.Identifier[]): TS.Identifier[] {
  if (ts.isIdentifier(name)) out.push(name);
  else for (const el of name.elements) if (!ts.isOmittedExpression(el)) boundNames(ts, el.name, out);
  return out;
}

function needsBoundary(s: FileState, original: TS.Node): boolean {
  const ts = s.ts;
  const scope = ts.findAncestor(original.parent, (n) => ts.isFunctionLike(n) && 'body' in n) ?? s.sf;
  return s.needsBoundaries.has(scope);
}

function makeVisitor(s: FileState): (node: TS.Node) => TS.VisitResult<TS.Node> {
  const ts = s.ts;
  const f = s.context.factory;
  const visit = (node: TS.Node): TS.VisitResult<TS.Node> => {
    if (ts.isTypeNode(node) || ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node)) return node;
    if (isParameterDefault(ts, node)) {
      // Runs in the parameters' scope: its temporaries are declared around it, not in the body.
      const temps: TS.Identifier[] = [];
      s.builder.paramTemps.push(temps);
      let result: TS.VisitResult<TS.Node>;
      try {
        result = visitNode(node);
      } finally {
        s.builder.paramTemps.pop();
      }
      return temps.length && result && !Array.isArray(result)
        ? s.builder.wrapWithTemps(result as TS.Expression, temps)
        : result;
    }
    return visitNode(node);
  };
  const visitNode = (node: TS.Node): TS.VisitResult<TS.Node> => {
    // `{ x }` with x tracked: the shorthand must become `x: <read>`.
    if (ts.isShorthandPropertyAssignment(node)) {
      const rootName = trackedRoot(s, node.name);
      if (rootName !== undefined && !patternContext(ts, node)) {
        const read = emitter(s, node.name).read({ rootName, root: node.name, rootIsIdentifier: true, segments: [] });
        return f.createPropertyAssignment(f.createIdentifier(node.name.text), read);
      }
    }

    if (
      (ts.isForOfStatement(node) || ts.isForInStatement(node)) &&
      !ts.isVariableDeclarationList(node.initializer) &&
      targetsTracked(s, node.initializer)
    ) {
      // `for (tracked of xs)`: writes through a loop head are not recorded; said at build time.
      warn(s, 'RW1003', node.initializer);
    }
    const updated = ts.visitEachChild(node, visit, s.context);
    const callScope = ts.isBlock(node) && node.parent ? s.scopeOwners.get(node.parent) : undefined;
    if (callScope && ts.isBlock(updated)) {
      // `const _rwcall = scope("makeQueue")` first in the body (after its directives): names this call's bindings.
      const fn = node.parent as TS.FunctionLikeDeclaration;
      const prologue = updated.statements.findIndex(
        (st) => !(ts.isExpressionStatement(st) && ts.isStringLiteral(st.expression)),
      );
      const at = prologue === -1 ? updated.statements.length : prologue;
      const declaration = f.createVariableStatement(
        undefined,
        f.createVariableDeclarationList(
          [
            f.createVariableDeclaration(
              callScope,
              undefined,
              undefined,
              s.builder.entry(Entry.scope, [s.builder.str(functionName(s, fn).name)]),
            ),
          ],
          ts.NodeFlags.Const,
        ),
      );
      s.changed = true;
      return f.updateBlock(updated, [...updated.statements.slice(0, at), declaration, ...updated.statements.slice(at)]);
    }

    if (ts.isIdentifier(node)) {
      if (!isReference(ts, node) || handledByParent(ts, node)) return updated;
      const rootName = trackedRoot(s, node);
      if (rootName === undefined) return updated;
      return emitter(s, node).read({ rootName, root: node, rootIsIdentifier: true, segments: [] });
    }
    if (ts.isTaggedTemplateExpression(node) && ts.isTaggedTemplateExpression(updated)) {
      const tag = unwrap(ts, node.tag);
      const updatedTag = unwrap(ts, updated.tag);
      if (
        (ts.isPropertyAccessExpression(tag) && ts.isPropertyAccessExpression(updatedTag)) ||
        (ts.isElementAccessExpression(tag) && ts.isElementAccessExpression(updatedTag))
      ) {
        const chain = chainOf(s, tag.expression, updatedTag.expression as Expr);
        if (!chain) return updated;
        const object = emitter(s, tag.expression).read(chain);
        const newTag = ts.isPropertyAccessExpression(updatedTag)
          ? f.updatePropertyAccessExpression(updatedTag, object as TS.Expression, updatedTag.name)
          : f.updateElementAccessExpression(
              updatedTag as TS.ElementAccessExpression,
              object as TS.Expression,
              (updatedTag as TS.ElementAccessExpression).argumentExpression,
            );
        return f.updateTaggedTemplateExpression(updated, newTag, updated.typeArguments, updated.template);
      }
      return updated;
    }
    if (ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) {
      if (handledByParent(ts, node)) return updated;
      const chain = chainOf(s, node, updated as Expr);
      return chain ? emitter(s, node).read(chain) : updated;
    }
    if (
      ts.isBinaryExpression(node) &&
      ts.isBinaryExpression(updated) &&
      node.operatorToken.kind === ts.SyntaxKind.EqualsToken
    ) {
      const field = uninitialisedFieldAssigned(s, node);
      if (field) {
        s.changed = true;
        return s.builder.entry(Entry.assignField, [
          f.createThis(),
          s.builder.str(field.owner),
          s.builder.str(field.name),
          updated.right,
          s.builder.str(loc(s, node.left)),
        ]);
      }
    }
    if (ts.isBinaryExpression(node) && ts.isBinaryExpression(updated)) {
      const kind = node.operatorToken.kind;
      if (isAssignmentOperator(ts, kind)) {
        // A default value inside a destructuring target (`{ a = 1 } = o`) is not an assignment.
        if (kind === ts.SyntaxKind.EqualsToken && isInPattern(ts, node)) return updated;
        const left = unwrap(ts, node.left);
        if (
          kind === ts.SyntaxKind.EqualsToken &&
          (ts.isArrayLiteralExpression(left) || ts.isObjectLiteralExpression(left))
        ) {
          if (!patternHasTracked(s, left)) return updated;
          const targets: Array<{ chain: Chain<Expr>; temp: Expr; at: TS.Node }> = [];
          const pattern = rewritePattern(s, node.left, updated.left, targets);
          const result = s.builder.temp();
          const items: Expr[] = [
            s.builder.assign(result, f.createParenthesizedExpression(f.createAssignment(pattern, updated.right))),
          ];
          for (const t of targets) items.push(emitter(s, t.at).assign(t.chain, '=', t.temp));
          items.push(result);
          s.changed = true;
          return s.builder.seq(items);
        }
        const chain = chainOf(s, node.left, updated.left);
        if (!chain) return updated;
        return emitter(s, node).assign(chain, compoundText(ts, kind), updated.right);
      }
      if (kind === ts.SyntaxKind.InKeyword && !ts.isPrivateIdentifier(node.left)) {
        const chain = chainOf(s, node.right, updated.right);
        if (!chain || hasOptional(chain)) return updated;
        return emitter(s, node).inOp(updated.left, chain);
      }
      return updated;
    }
    if (
      (ts.isPrefixUnaryExpression(node) || ts.isPostfixUnaryExpression(node)) &&
      (node.operator === ts.SyntaxKind.PlusPlusToken || node.operator === ts.SyntaxKind.MinusMinusToken)
    ) {
      const u = updated as TS.PrefixUnaryExpression | TS.PostfixUnaryExpression;
      const chain = chainOf(s, node.operand as Expr, u.operand as Expr);
      if (!chain) return updated;
      return emitter(s, node).update(
        chain,
        node.operator === ts.SyntaxKind.PlusPlusToken ? '++' : '--',
        ts.isPrefixUnaryExpression(node),
      );
    }
    if (ts.isDeleteExpression(node) && ts.isDeleteExpression(updated)) {
      const chain = chainOf(s, node.expression, updated.expression);
      if (!chain || chain.segments.length === 0 || hasOptional(chain)) return updated;
      return emitter(s, node).del(chain);
    }
    if (ts.isCallExpression(node) && ts.isCallExpression(updated)) {
      const callee = unwrap(ts, node.expression);
      const ucallee = unwrap(ts, updated.expression);
      if (!(ts.isPropertyAccessExpression(callee) || ts.isElementAccessExpression(callee))) return updated;
      if (!(ts.isPropertyAccessExpression(ucallee) || ts.isElementAccessExpression(ucallee))) return updated;
      const receiver = chainOf(s, callee.expression, ucallee.expression);
      if (!receiver) return updated;
      let key: { kind: 'static'; name: string; isPrivate: boolean } | { kind: 'dynamic'; expr: Expr };
      if (ts.isPropertyAccessExpression(callee))
        key = { kind: 'static', name: callee.name.text, isPrivate: ts.isPrivateIdentifier(callee.name) };
      else if (ts.isStringLiteral(callee.argumentExpression))
        key = { kind: 'static', name: callee.argumentExpression.text, isPrivate: false };
      else key = { kind: 'dynamic', expr: (ucallee as TS.ElementAccessExpression).argumentExpression };
      const args = updated.arguments.map((a) =>
        ts.isSpreadElement(a) ? { expr: a.expression, spread: true } : { expr: a, spread: false },
      );
      return emitter(s, node).methodCall(
        receiver,
        key,
        Boolean(callee.questionDotToken),
        Boolean(node.questionDotToken),
        args,
      );
    }
    if (
      ts.isVariableDeclaration(node) &&
      ts.isVariableDeclaration(updated) &&
      updated.initializer &&
      ts.isIdentifier(node.name)
    ) {
      const rootName = trackedRoot(s, node.name);
      if (rootName === undefined || ts.isForInStatement(node.parent.parent) || ts.isForOfStatement(node.parent.parent))
        return updated;
      return f.updateVariableDeclaration(
        updated,
        updated.name,
        updated.exclamationToken,
        updated.type,
        emitter(s, node).initialize(rootName, updated.initializer),
      );
    }
    if (ts.isVariableStatement(node) && ts.isVariableStatement(updated)) {
      const writes: TS.Statement[] = [];
      for (const d of node.declarationList.declarations) {
        if (ts.isIdentifier(d.name) || !d.initializer) continue;
        for (const id of boundNames(ts, d.name, [])) {
          const rootName = trackedRoot(s, id);
          if (rootName !== undefined)
            writes.push(f.createExpressionStatement(emitter(s, d).initialize(rootName, f.createIdentifier(id.text))));
        }
      }
      return writes.length ? [updated, ...writes] : updated;
    }
    if (ts.isPropertyDeclaration(node) && ts.isPropertyDeclaration(updated)) {
      const { hints, rest } = decoratorHints(s, updated);
      if (!hints.has('tracked') && !hintsAt(s, node).has('tracked')) return updated;
      if (ts.isPrivateIdentifier(node.name))
        return f.updatePropertyDeclaration(
          updated,
          rest,
          updated.name,
          updated.questionToken ?? updated.exclamationToken,
          updated.type,
          updated.initializer,
        );
      if (!(ts.isIdentifier(node.name) || ts.isStringLiteral(node.name))) {
        warn(s, 'RW1001', node);
        return f.updatePropertyDeclaration(
          updated,
          rest,
          updated.name,
          updated.questionToken ?? updated.exclamationToken,
          updated.type,
          updated.initializer,
        );
      }
      // The initialiser tracks the field when it is compiled to an assignment (useDefineForClassFields: false).
      const owner = s.builder.str(className(ts, node.parent as TS.ClassLikeDeclaration));
      const initializer =
        updated.initializer &&
        s.builder.entry(Entry.initField, [
          f.createThis(),
          owner,
          s.builder.str(node.name.text),
          updated.initializer,
          s.builder.str(loc(s, node.name)),
        ]);
      const stripped = f.updatePropertyDeclaration(
        updated,
        rest,
        updated.name,
        updated.questionToken ?? updated.exclamationToken,
        updated.type,
        initializer,
      );
      const isStatic = hasModifier(ts, node, ts.SyntaxKind.StaticKeyword);
      const b = s.builder;
      const init = b.entry(Entry.trackField, [
        f.createThis(),
        b.str(className(ts, node.parent as TS.ClassLikeDeclaration)),
        b.str(node.name.text),
        b.str(loc(s, node.name)),
      ]);
      const tracker = f.createPropertyDeclaration(
        isStatic ? [f.createModifier(ts.SyntaxKind.StaticKeyword)] : undefined,
        f.createPrivateIdentifier(`#rwTrack_${node.name.text}`),
        undefined,
        undefined,
        init,
      );
      s.changed = true;
      return [stripped, tracker];
    }
    if (ts.isMethodDeclaration(node) && !isTracedFunction(s, node)) {
      const { hints } = decoratorHints(s, updated as TS.MethodDeclaration);
      if (hints.has('tracked')) warn(s, 'RW1004', node);
      return updated;
    }
    if (ts.isFunctionLike(node) && isTracedFunction(s, node)) {
      return wrapTraced(s, node as TS.FunctionLikeDeclaration, updated as TS.FunctionLikeDeclaration);
    }
    if ((ts.isAwaitExpression(node) || ts.isYieldExpression(node)) && needsBoundary(s, node)) {
      s.changed = true;
      return s.builder.entry(Entry.resume, [updated as Expr]);
    }
    if (ts.isForOfStatement(node) && node.awaitModifier && ts.isForOfStatement(updated) && needsBoundary(s, node)) {
      const mark = f.createExpressionStatement(s.builder.entry(Entry.boundary, []));
      const body = ts.isBlock(updated.statement)
        ? f.updateBlock(updated.statement, [mark, ...updated.statement.statements])
        : f.createBlock([mark, updated.statement], true);
      s.changed = true;
      return f.updateForOfStatement(updated, updated.awaitModifier, updated.initializer, updated.expression, body);
    }
    return updated;
  };
  return visit;
}

/** Shorthand properties that are destructuring targets are handled by the assignment. */
function patternContext(ts: typeof TS, node: TS.ShorthandPropertyAssignment): boolean {
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
function targetsTracked(s: FileState, target: TS.Node): boolean {
  const { ts } = s;
  if (ts.isIdentifier(target)) return trackedName(s, target) !== undefined;
  if ((ts.isPropertyAccessExpression(target) || ts.isElementAccessExpression(target)) && chainOf(s, target, target))
    return true;
  return ts.forEachChild(target, (child) => (targetsTracked(s, child) ? true : undefined)) === true;
}

/** The default value of a parameter, or of a binding element inside a destructured parameter. */
function isParameterDefault(ts: typeof TS, node: TS.Node): boolean {
  const parent = node.parent;
  if (!parent) return false;
  if (ts.isParameter(parent)) return parent.initializer === node;
  if (!ts.isBindingElement(parent) || parent.initializer !== node) return false;
  let p: TS.Node | undefined = parent.parent;
  while (p && (ts.isObjectBindingPattern(p) || ts.isArrayBindingPattern(p) || ts.isBindingElement(p))) p = p.parent;
  return Boolean(p && ts.isParameter(p));
}

/** Whether TypeScript emits this file as CommonJS (module CommonJS, or Node16/NodeNext for a CommonJS-format file). */
function emitsCommonJs(ts: typeof TS, options: TS.CompilerOptions, sf: TS.SourceFile): boolean {
  const kind =
    options.module ??
    (options.target !== undefined && options.target >= ts.ScriptTarget.ES2015
      ? ts.ModuleKind.ES2015
      : ts.ModuleKind.CommonJS);
  if (kind === ts.ModuleKind.CommonJS) return true;
  if (kind >= ts.ModuleKind.Node16 && kind <= ts.ModuleKind.NodeNext)
    return sf.impliedNodeFormat === ts.ModuleKind.CommonJS;
  return false;
}

/** Instruments one source file; returns it unchanged when it has nothing to instrument. */
export function transformSourceFile(
  ts: typeof TS,
  program: TS.Program,
  context: TS.TransformationContext,
  sf: TS.SourceFile,
  scope: FileScope,
  options: ResolvedInstrumentOptions,
  report: (sf: TS.SourceFile, diagnostics: InstrumentDiagnostic[]) => void,
): TS.SourceFile {
  const text = sf.text;
  if (sf.isDeclarationFile || !scope.accepts(sf.fileName) || text.includes(INSTRUMENTED_MARKER)) return sf;
  const misses = hintNearMisses(text);
  if (misses.length) report(sf, nearMissDiagnostics(misses, text, scope.relative(sf.fileName)));
  if (!mayHoldHints(text)) return sf;
  const f = context.factory;
  const entry = f.createUniqueName('raceway');
  const s: FileState = {
    ts,
    sf,
    checker: program.getTypeChecker(),
    context,
    options,
    relative: scope.relative(sf.fileName),
    moduleName: scope.moduleName(sf.fileName),
    entry,
    builder: new TsBuilder(ts, context, entry),
    tracked: new Map(),
    callScopes: new Map(),
    scopeOwners: new Map(),
    privateFields: new Map(),
    uninitialisedFields: new Map(),
    needsBoundaries: new Set(),
    changed: false,
    diagnostics: [],
  };
  collect(s);
  markBoundaryScopes(s);
  const statements = ts.visitLexicalEnvironment(sf.statements, makeVisitor(s), context);
  report(sf, s.diagnostics);
  if (!s.changed) return sf;
  // A script (no import/export) is not converted by TypeScript's CommonJS emit: an `import` added to it
  // would reach the output as is. It gets a `require` when its output is CommonJS.
  const declaration =
    !ts.isExternalModule(sf) && emitsCommonJs(ts, program.getCompilerOptions(), sf)
      ? f.createVariableStatement(
          undefined,
          f.createVariableDeclarationList(
            [
              f.createVariableDeclaration(
                entry,
                undefined,
                undefined,
                f.createCallExpression(f.createIdentifier('require'), undefined, [
                  f.createStringLiteral(options.runtimeModule),
                ]),
              ),
            ],
            ts.NodeFlags.Const,
          ),
        )
      : f.createImportDeclaration(
          undefined,
          f.createImportClause(false as never, undefined, f.createNamespaceImport(entry)),
          f.createStringLiteral(options.runtimeModule),
        );
  ts.addSyntheticLeadingComment(declaration, ts.SyntaxKind.MultiLineCommentTrivia, ` ${INSTRUMENTED_MARKER} `, true);
  return f.updateSourceFile(sf, [declaration, ...statements]);
}
