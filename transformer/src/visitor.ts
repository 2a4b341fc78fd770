// The rewriting visitor: every access to tracked state becomes a call of the instrument entry.
import type { Chain } from '@raceway/instrument-core';
import { Entry, hasOptional } from '@raceway/instrument-core';
import type * as TS from 'typescript';
import { needsBoundary } from './boundaries.js';
import type { Expr, FileState } from './file-state.js';
import { emitter, loc, warn } from './file-state.js';
import { decoratorHints, hasModifier, hintsAt, isTracedFunction } from './hints.js';
import {
  boundNames,
  chainOf,
  className,
  compoundText,
  functionName,
  handledByParent,
  isAssignmentOperator,
  isInPattern,
  isParameterDefault,
  isReference,
  patternContext,
  patternHasTracked,
  targetsTracked,
  trackedRoot,
  uninitialisedFieldAssigned,
  unwrap,
} from './recognise.js';
import { wrapTraced } from './traced.js';

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

export function makeVisitor(s: FileState): (node: TS.Node) => TS.VisitResult<TS.Node> {
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
