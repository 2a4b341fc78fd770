// `@traced` functions: each call recorded (an async one as a child task), its promise returned as is.
import { Entry } from '@raceway/instrument-core';
import type * as TS from 'typescript';
import type { Expr, FileState } from './file-state.js';
import { loc, warn } from './file-state.js';
import { decoratorHints, hasModifier } from './hints.js';
import { functionName } from './recognise.js';

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
export function wrapTraced(
  s: FileState,
  original: TS.FunctionLikeDeclaration,
  updated: TS.FunctionLikeDeclaration,
): TS.Node {
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
