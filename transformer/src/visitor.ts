// The rewriting visitor: every access to tracked state becomes a call of the instrument entry.
import type { Chain } from '@raceway/instrument-core';
import { Entry, hasOptional, memberKeyOf } from '@raceway/instrument-core';
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
  keySyntax,
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

type Result = TS.VisitResult<TS.Node>;
/**
 * One rewrite rule: given a node (original: symbols, parents, positions) and the same node with its
 * children already visited, its replacement, or undefined when the rule does not apply.
 */
type Rule = (s: FileState, node: TS.Node, updated: TS.Node) => Result | undefined;

/** `{ x }` with x tracked: the shorthand must become `x: <read>` (before its children are visited). */
const shorthandRead = (s: FileState, node: TS.Node): Result | undefined => {
  const { ts } = s;
  if (!ts.isShorthandPropertyAssignment(node)) return undefined;
  const rootName = trackedRoot(s, node.name);
  if (rootName === undefined || isInPattern(ts, node)) return undefined;
  const read = emitter(s, node.name).read({ rootName, root: node.name, rootIsIdentifier: true, segments: [] });
  return s.context.factory.createPropertyAssignment(s.context.factory.createIdentifier(node.name.text), read);
};

/** `for (tracked of xs)`: writes through a loop head are not recorded; said at build time. */
const loopHeadWarning = (s: FileState, node: TS.Node): undefined => {
  const { ts } = s;
  if (
    (ts.isForOfStatement(node) || ts.isForInStatement(node)) &&
    !ts.isVariableDeclarationList(node.initializer) &&
    targetsTracked(s, node.initializer)
  )
    warn(s, 'RW1003', node.initializer);
  return undefined;
};

/** `const _rwcall = scope("makeQueue")` first in the body (after its directives): names this call's bindings. */
const callScope: Rule = (s, node, updated) => {
  const { ts } = s;
  const f = s.context.factory;
  const owner = ts.isBlock(node) && node.parent ? s.scopeOwners.get(node.parent) : undefined;
  if (!owner || !ts.isBlock(updated)) return undefined;
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
          owner,
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
};

const identifierRead: Rule = (s, node, updated) => {
  const { ts } = s;
  if (!ts.isIdentifier(node) || !isReference(ts, node) || handledByParent(ts, node)) return updated;
  const rootName = trackedRoot(s, node);
  if (rootName === undefined) return updated;
  return emitter(s, node).read({ rootName, root: node, rootIsIdentifier: true, segments: [] });
};

/** `obj.tag\`...\``: the tag is called as a method of obj (this === obj); the read of obj is recorded. */
const taggedTemplate: Rule = (s, node, updated) => {
  const { ts } = s;
  const f = s.context.factory;
  if (!ts.isTaggedTemplateExpression(node) || !ts.isTaggedTemplateExpression(updated)) return undefined;
  const tag = unwrap(ts, node.tag);
  const updatedTag = unwrap(ts, updated.tag);
  if (
    !(ts.isPropertyAccessExpression(tag) && ts.isPropertyAccessExpression(updatedTag)) &&
    !(ts.isElementAccessExpression(tag) && ts.isElementAccessExpression(updatedTag))
  )
    return updated;
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
};

const memberRead: Rule = (s, node, updated) => {
  if (handledByParent(s.ts, node)) return updated;
  const chain = chainOf(s, node as Expr, updated as Expr);
  return chain ? emitter(s, node).read(chain) : updated;
};

/** `this.field = v` creating a tracked field declared without initialiser. */
const fieldCreation: Rule = (s, node, updated) => {
  const { ts } = s;
  if (!ts.isBinaryExpression(node) || !ts.isBinaryExpression(updated)) return undefined;
  if (node.operatorToken.kind !== ts.SyntaxKind.EqualsToken) return undefined;
  const field = uninitialisedFieldAssigned(s, node);
  if (!field) return undefined;
  s.changed = true;
  return s.builder.entry(Entry.assignField, [
    s.context.factory.createThis(),
    s.builder.str(field.owner),
    s.builder.str(field.name),
    updated.right,
    s.builder.str(loc(s, node.left)),
  ]);
};

/** `target = v`, `target += v`, `[a, b] = pair`, and `key in target`. */
const binary: Rule = (s, node, updated) => {
  const { ts } = s;
  const f = s.context.factory;
  if (!ts.isBinaryExpression(node) || !ts.isBinaryExpression(updated)) return undefined;
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
};

/** `++target`, `target--` */
const update: Rule = (s, node, updated) => {
  const { ts } = s;
  const n = node as TS.PrefixUnaryExpression | TS.PostfixUnaryExpression;
  if (n.operator !== ts.SyntaxKind.PlusPlusToken && n.operator !== ts.SyntaxKind.MinusMinusToken) return undefined;
  const u = updated as TS.PrefixUnaryExpression | TS.PostfixUnaryExpression;
  const chain = chainOf(s, n.operand as Expr, u.operand as Expr);
  if (!chain) return updated;
  return emitter(s, node).update(
    chain,
    n.operator === ts.SyntaxKind.PlusPlusToken ? '++' : '--',
    ts.isPrefixUnaryExpression(n),
  );
};

const deletion: Rule = (s, node, updated) => {
  const { ts } = s;
  if (!ts.isDeleteExpression(node) || !ts.isDeleteExpression(updated)) return undefined;
  const chain = chainOf(s, node.expression, updated.expression);
  if (!chain || chain.segments.length === 0 || hasOptional(chain)) return updated;
  return emitter(s, node).del(chain);
};

/** `receiver.method(...)` on tracked state: one method event, `this` kept. */
const methodCall: Rule = (s, node, updated) => {
  const { ts } = s;
  if (!ts.isCallExpression(node) || !ts.isCallExpression(updated)) return undefined;
  const callee = unwrap(ts, node.expression);
  const ucallee = unwrap(ts, updated.expression);
  if (!(ts.isPropertyAccessExpression(callee) || ts.isElementAccessExpression(callee))) return updated;
  if (!(ts.isPropertyAccessExpression(ucallee) || ts.isElementAccessExpression(ucallee))) return updated;
  const receiver = chainOf(s, callee.expression, ucallee.expression);
  if (!receiver) return updated;
  const key = memberKeyOf(keySyntax(ts, { original: callee, updated: ucallee })!);
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
};

/** `let x = v` for a tracked `x`: the initial value is recorded. */
const declaration: Rule = (s, node, updated) => {
  const { ts } = s;
  if (!ts.isVariableDeclaration(node) || !ts.isVariableDeclaration(updated)) return undefined;
  if (!updated.initializer || !ts.isIdentifier(node.name)) return updated;
  const rootName = trackedRoot(s, node.name);
  if (rootName === undefined || ts.isForInStatement(node.parent.parent) || ts.isForOfStatement(node.parent.parent))
    return updated;
  return s.context.factory.updateVariableDeclaration(
    updated,
    updated.name,
    updated.exclamationToken,
    updated.type,
    emitter(s, node).initialize(rootName, updated.initializer),
  );
};

/** `const { a, b } = o` declaring tracked bindings: each initial value is recorded after the statement. */
const destructuringDeclaration: Rule = (s, node, updated) => {
  const { ts } = s;
  const f = s.context.factory;
  if (!ts.isVariableStatement(node) || !ts.isVariableStatement(updated)) return undefined;
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
};

/** `@tracked field = v`: an accessor pair over a hidden tracker, and the initial value recorded. */
const trackedField: Rule = (s, node, updated) => {
  const { ts } = s;
  const f = s.context.factory;
  if (!ts.isPropertyDeclaration(node) || !ts.isPropertyDeclaration(updated)) return undefined;
  const { hints, rest } = decoratorHints(s, updated);
  if (!hints.has('tracked') && !hintsAt(s, node).has('tracked')) return updated;
  const withInitializer = (initializer: TS.Expression | undefined) =>
    f.updatePropertyDeclaration(
      updated,
      rest,
      updated.name,
      updated.questionToken ?? updated.exclamationToken,
      updated.type,
      initializer,
    );
  if (ts.isPrivateIdentifier(node.name)) return withInitializer(updated.initializer);
  if (!(ts.isIdentifier(node.name) || ts.isStringLiteral(node.name))) {
    warn(s, 'RW1001', node);
    return withInitializer(updated.initializer);
  }
  const b = s.builder;
  const owner = className(ts, node.parent as TS.ClassLikeDeclaration);
  // The initialiser tracks the field when it is compiled to an assignment (useDefineForClassFields: false).
  const stripped = withInitializer(
    updated.initializer &&
      b.entry(Entry.initField, [
        f.createThis(),
        b.str(owner),
        b.str(node.name.text),
        updated.initializer,
        b.str(loc(s, node.name)),
      ]),
  );
  const tracker = f.createPropertyDeclaration(
    hasModifier(ts, node, ts.SyntaxKind.StaticKeyword) ? [f.createModifier(ts.SyntaxKind.StaticKeyword)] : undefined,
    f.createPrivateIdentifier(`#rwTrack_${node.name.text}`),
    undefined,
    undefined,
    b.entry(Entry.trackField, [f.createThis(), b.str(owner), b.str(node.name.text), b.str(loc(s, node.name))]),
  );
  s.changed = true;
  return [stripped, tracker];
};

/** `@tracked` on a method tracks nothing: said at build time. */
const trackedMethodWarning: Rule = (s, node, updated) => {
  if (isTracedFunction(s, node as TS.FunctionLikeDeclaration)) return undefined;
  const { hints } = decoratorHints(s, updated as TS.MethodDeclaration);
  if (hints.has('tracked')) warn(s, 'RW1004', node);
  return updated;
};

const traced: Rule = (s, node, updated) =>
  isTracedFunction(s, node as TS.FunctionLikeDeclaration)
    ? wrapTraced(s, node as TS.FunctionLikeDeclaration, updated as TS.FunctionLikeDeclaration)
    : undefined;

/** `await x` / `yield x` in a function that needs segment boundaries: `resume(await gate(x))`, `resume(yield x)`. */
const suspension: Rule = (s, node, updated) => {
  if (!needsBoundary(s, node)) return undefined;
  s.changed = true;
  const { ts } = s;
  // `resume(await gate(x))`: a new segment after the await, and a point where exploration may hold the unit.
  const suspended = ts.isAwaitExpression(updated)
    ? s.context.factory.updateAwaitExpression(updated, s.builder.entry(Entry.gate, [updated.expression]))
    : updated;
  return s.builder.entry(Entry.resume, [suspended as Expr]);
};

/** `for await (...)`: each iteration starts a segment. */
const forAwait: Rule = (s, node, updated) => {
  const { ts } = s;
  const f = s.context.factory;
  if (!ts.isForOfStatement(node) || !node.awaitModifier || !ts.isForOfStatement(updated) || !needsBoundary(s, node))
    return undefined;
  const mark = f.createExpressionStatement(s.builder.entry(Entry.boundary, []));
  const body = ts.isBlock(updated.statement)
    ? f.updateBlock(updated.statement, [mark, ...updated.statement.statements])
    : f.createBlock([mark, updated.statement], true);
  s.changed = true;
  return f.updateForOfStatement(updated, updated.awaitModifier, updated.initializer, updated.expression, body);
};

interface RuleTable {
  /** Tried before the node's children are visited; a result replaces the node unvisited. */
  before: Map<TS.SyntaxKind, Array<(s: FileState, node: TS.Node) => Result | undefined>>;
  /** Tried in order after the children were visited; the first result replaces the node. */
  after: Map<TS.SyntaxKind, Rule[]>;
}

/** The rules by node kind (`SyntaxKind` values differ between TypeScript versions: one table per instance). */
function ruleTable(ts: typeof TS): RuleTable {
  const k = ts.SyntaxKind;
  const functions = [
    k.FunctionDeclaration,
    k.FunctionExpression,
    k.ArrowFunction,
    k.GetAccessor,
    k.SetAccessor,
    k.Constructor,
  ];
  const after = new Map<TS.SyntaxKind, Rule[]>([
    [k.Block, [callScope]],
    [k.Identifier, [identifierRead]],
    [k.TaggedTemplateExpression, [taggedTemplate]],
    [k.PropertyAccessExpression, [memberRead]],
    [k.ElementAccessExpression, [memberRead]],
    [k.BinaryExpression, [fieldCreation, binary]],
    [k.PrefixUnaryExpression, [update]],
    [k.PostfixUnaryExpression, [update]],
    [k.DeleteExpression, [deletion]],
    [k.CallExpression, [methodCall]],
    [k.VariableDeclaration, [declaration]],
    [k.VariableStatement, [destructuringDeclaration]],
    [k.PropertyDeclaration, [trackedField]],
    [k.MethodDeclaration, [trackedMethodWarning, traced]],
    ...functions.map((kind): [TS.SyntaxKind, Rule[]] => [kind, [traced]]),
    [k.AwaitExpression, [suspension]],
    [k.YieldExpression, [suspension]],
    [k.ForOfStatement, [forAwait]],
  ]);
  const before = new Map<TS.SyntaxKind, Array<(s: FileState, node: TS.Node) => Result | undefined>>([
    [k.ShorthandPropertyAssignment, [shorthandRead]],
    [k.ForOfStatement, [loopHeadWarning]],
    [k.ForInStatement, [loopHeadWarning]],
  ]);
  return { before, after };
}

const tables = new WeakMap<typeof TS, RuleTable>();

export function makeVisitor(s: FileState): (node: TS.Node) => TS.VisitResult<TS.Node> {
  const ts = s.ts;
  let table = tables.get(ts);
  if (!table) tables.set(ts, (table = ruleTable(ts)));
  const { before, after } = table;
  const visit = (node: TS.Node): Result => {
    // Types say nothing that runs.
    if (ts.isTypeNode(node) || ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node)) return node;
    if (!isParameterDefault(ts, node)) return visitNode(node);
    // Runs in the parameters' scope: its temporaries are declared around it, not in the body.
    const temps: TS.Identifier[] = [];
    s.builder.paramTemps.push(temps);
    let result: Result;
    try {
      result = visitNode(node);
    } finally {
      s.builder.paramTemps.pop();
    }
    return temps.length && result && !Array.isArray(result)
      ? s.builder.wrapWithTemps(result as TS.Expression, temps)
      : result;
  };
  const visitNode = (node: TS.Node): Result => {
    for (const rule of before.get(node.kind) ?? []) {
      const result = rule(s, node);
      if (result !== undefined) return result;
    }
    const updated = ts.visitEachChild(node, visit, s.context);
    for (const rule of after.get(node.kind) ?? []) {
      const result = rule(s, node, updated);
      if (result !== undefined) return result;
    }
    return updated;
  };
  return visit;
}
