// The rewriting traversal: every access to tracked state becomes a call of the instrument entry.
import type { types as BabelTypes, NodePath } from '@babel/core';
import type { Chain } from '@raceway/instrument-core';
import { Entry, hasOptional } from '@raceway/instrument-core';
import type { BabelBuilder } from './builder.js';
import type { Expr, FilePass } from './file-state.js';
import {
  chainOf,
  handledByParent,
  isParameterDefault,
  patternHasTracked,
  rootNameOf,
  staticOrDynamicKey,
  trackedName,
  uninitialisedFieldAssigned,
  unwrap,
} from './recognise.js';

function replace(pass: FilePass, path: NodePath, replacement: Expr): void {
  const parent = path.parentPath;
  if (parent?.isObjectProperty() && parent.node.shorthand && parent.node.value === path.node)
    parent.node.shorthand = false;
  pass.generated.add(replacement);
  path.replaceWith(replacement);
  path.skip();
}

function argItems(pass: FilePass, args: Array<BabelTypes.Node>): Array<{ expr: Expr; spread: boolean }> {
  return args.map((a) =>
    pass.t.isSpreadElement(a) ? { expr: a.argument, spread: true } : { expr: a as Expr, spread: false },
  );
}

/** Rewrites tracked targets inside a destructuring pattern to temporaries; returns the writes to emit after. */
function rewritePatternTargets(
  pass: FilePass,
  pattern: NodePath,
  out: Array<{ chain: Chain<Expr>; temp: Expr; node: BabelTypes.Node }>,
  builder: BabelBuilder,
): void {
  if (pattern.isArrayPattern()) {
    for (const element of pattern.get('elements'))
      if (element.node) rewritePatternTargets(pass, element as NodePath, out, builder);
  } else if (pattern.isObjectPattern()) {
    for (const prop of pattern.get('properties')) {
      if (prop.isRestElement()) rewritePatternTargets(pass, prop, out, builder);
      else
        rewritePatternTargets(
          pass,
          (prop as NodePath<BabelTypes.ObjectProperty>).get('value') as NodePath,
          out,
          builder,
        );
    }
  } else if (pattern.isAssignmentPattern()) {
    rewritePatternTargets(pass, pattern.get('left') as NodePath, out, builder);
  } else if (pattern.isRestElement()) {
    rewritePatternTargets(pass, pattern.get('argument') as NodePath, out, builder);
  } else {
    const chain = chainOf(pass, pattern);
    if (!chain) return;
    const temp = builder.temp();
    out.push({ chain, temp, node: pattern.node });
    const parent = pattern.parentPath;
    if (parent?.isObjectProperty() && parent.node.shorthand) parent.node.shorthand = false;
    pattern.replaceWith(temp as BabelTypes.Identifier);
  }
}

/** Rewrites every access of tracked state (children before parents, so sub-expressions are done first). */
export function rewriteAccesses(pass: FilePass): void {
  const t = pass.t;
  pass.program.traverse({
    enter(path) {
      if (pass.generated.has(path.node)) path.skip();
    },
    'ForInStatement|ForOfStatement'(path: NodePath) {
      // `for (tracked of xs)`: writes through a loop head are not recorded; said at build time.
      const left = (path as NodePath<BabelTypes.ForOfStatement>).get('left');
      if (left.isVariableDeclaration()) return;
      let hit = false;
      const check = (p: NodePath) => {
        if (hit) return;
        if (p.isIdentifier() && trackedName(pass, p) !== undefined) hit = true;
        else if ((p.isMemberExpression() || p.isOptionalMemberExpression()) && chainOf(pass, p)) hit = true;
      };
      check(left);
      left.traverse({ Identifier: check, MemberExpression: check });
      if (hit) pass.warn('RW1003', left.node);
    },
    Identifier: {
      exit(path) {
        if (pass.generated.has(path.node) || !path.isReferencedIdentifier()) return;
        const rootName = rootNameOf(pass, path.scope, path.node.name);
        if (rootName === undefined || handledByParent(path)) return;
        if (path.parentPath.isExportSpecifier()) return;
        replace(
          pass,
          path,
          pass.emitter(path, path.node).read({ rootName, root: path.node, rootIsIdentifier: true, segments: [] }),
        );
      },
    },
    // A parameter default runs in the parameters' scope, where the body's `var`s do not exist: the
    // temporaries of its rewritten accesses are declared in an arrow around the default instead.
    AssignmentPattern: {
      enter(path) {
        if (isParameterDefault(path)) pass.paramTemps.push([]);
      },
      exit(path) {
        if (!isParameterDefault(path)) return;
        const temps = pass.paramTemps.pop()!;
        if (temps.length === 0) return;
        const wrapped = t.callExpression(
          t.arrowFunctionExpression(
            [],
            t.blockStatement([
              t.variableDeclaration(
                'var',
                temps.map((id) => t.variableDeclarator(id)),
              ),
              t.returnStatement(path.node.right),
            ]),
          ),
          [],
        );
        pass.generated.add(wrapped);
        path.node.right = wrapped;
      },
    },
    TaggedTemplateExpression: {
      exit(path) {
        const tag = unwrap(path.get('tag') as NodePath);
        if (pass.generated.has(path.node) || (!tag.isMemberExpression() && !tag.isOptionalMemberExpression())) return;
        const object = tag.get('object') as NodePath;
        const chain = chainOf(pass, object);
        if (chain) replace(pass, object, pass.emitter(object, object.node).read(chain));
      },
    },
    'MemberExpression|OptionalMemberExpression': {
      exit(path: NodePath) {
        if (pass.generated.has(path.node) || handledByParent(path)) return;
        const chain = chainOf(pass, path);
        if (chain) replace(pass, path, pass.emitter(path, path.node).read(chain));
      },
    },
    AssignmentExpression: {
      exit(path) {
        if (pass.generated.has(path.node)) return;
        const left = path.get('left') as NodePath;
        if (left.isPattern()) {
          if (!patternHasTracked(pass, left)) return;
          const b = pass.builder(path);
          const targets: Array<{ chain: Chain<Expr>; temp: Expr; node: BabelTypes.Node }> = [];
          rewritePatternTargets(pass, left, targets, b);
          const result = b.temp();
          const items: Expr[] = [b.assign(result, path.node)];
          for (const target of targets)
            items.push(pass.emitter(path, target.node).assign(target.chain, '=', b.ref(target.temp)));
          items.push(b.ref(result));
          pass.generated.add(path.node);
          replace(pass, path, b.seq(items));
          return;
        }
        const field = path.node.operator === '=' ? uninitialisedFieldAssigned(pass, path) : undefined;
        if (field) {
          const b = pass.builder(path);
          replace(
            pass,
            path,
            b.entry(Entry.assignField, [
              t.thisExpression(),
              b.str(field.owner),
              b.str(field.name),
              path.node.right,
              b.str(pass.loc(path.node.left)),
            ]),
          );
          return;
        }
        const chain = chainOf(pass, left);
        if (!chain) return;
        replace(pass, path, pass.emitter(path, path.node).assign(chain, path.node.operator, path.node.right));
      },
    },
    UpdateExpression: {
      exit(path) {
        if (pass.generated.has(path.node)) return;
        const chain = chainOf(pass, path.get('argument') as NodePath);
        if (chain)
          replace(pass, path, pass.emitter(path, path.node).update(chain, path.node.operator, path.node.prefix));
      },
    },
    UnaryExpression: {
      exit(path) {
        if (pass.generated.has(path.node) || path.node.operator !== 'delete') return;
        const chain = chainOf(pass, path.get('argument') as NodePath);
        if (!chain || chain.segments.length === 0 || hasOptional(chain)) return;
        replace(pass, path, pass.emitter(path, path.node).del(chain));
      },
    },
    BinaryExpression: {
      exit(path) {
        if (pass.generated.has(path.node) || path.node.operator !== 'in' || t.isPrivateName(path.node.left)) return;
        const chain = chainOf(pass, path.get('right') as NodePath);
        if (!chain || hasOptional(chain)) return;
        replace(pass, path, pass.emitter(path, path.node).inOp(path.node.left as Expr, chain));
      },
    },
    'CallExpression|OptionalCallExpression': {
      exit(path: NodePath) {
        if (pass.generated.has(path.node)) return;
        const node = path.node as BabelTypes.CallExpression | BabelTypes.OptionalCallExpression;
        const callee = unwrap(path.get('callee') as NodePath);
        if (!callee.isMemberExpression() && !callee.isOptionalMemberExpression()) return;
        const receiver = chainOf(pass, callee.get('object') as NodePath);
        if (!receiver) return;
        const member = callee.node as BabelTypes.MemberExpression | BabelTypes.OptionalMemberExpression;
        const key = staticOrDynamicKey(pass, member);
        const optionalMember = Boolean((member as BabelTypes.OptionalMemberExpression).optional);
        const optionalCall = Boolean((node as BabelTypes.OptionalCallExpression).optional);
        replace(
          pass,
          path,
          pass
            .emitter(path, node)
            .methodCall(receiver, key, optionalMember, optionalCall, argItems(pass, node.arguments)),
        );
      },
    },
    VariableDeclarator: {
      exit(path) {
        if (pass.generated.has(path.node) || !path.node.init) return;
        const id = path.get('id');
        if (id.isIdentifier()) {
          const rootName = rootNameOf(pass, id.scope, id.node.name);
          if (rootName === undefined) return;
          const init = pass.emitter(path, path.node).initialize(rootName, path.node.init);
          pass.generated.add(init);
          path.node.init = init;
          return;
        }
        // Destructuring declaration of tracked bindings: record each initial value after the statement.
        const bound = id.getBindingIdentifiers() as Record<string, BabelTypes.Identifier>;
        const names = Object.keys(bound)
          .sort((x, y) => (bound[x]!.start ?? 0) - (bound[y]!.start ?? 0))
          .filter((n) => {
            const binding = path.scope.getBinding(n);
            return binding ? pass.tracked.has(binding) : false;
          });
        if (names.length === 0 || !path.parentPath.parentPath) return;
        const statement = path.parentPath;
        const b = pass.builder(path);
        const writes = names.map((n) =>
          t.expressionStatement(
            pass.emitter(path, path.node).initialize(rootNameOf(pass, path.scope, n)!, b.ref(t.identifier(n))),
          ),
        );
        for (const w of writes) pass.generated.add(w);
        if (statement.parentPath?.isExportNamedDeclaration()) statement.parentPath.insertAfter(writes);
        else statement.insertAfter(writes);
      },
    },
  });
}

/** `const _rwcall = scope("makeQueue")` first in the body of each function that declares tracked bindings. */
export function declareCallScopes(pass: FilePass): void {
  const t = pass.t;
  for (const [fn, owner] of pass.scopeOwners) {
    if (!t.isBlockStatement(fn.body)) continue;
    const b = pass.builder(pass.program);
    const declaration = t.variableDeclaration('const', [
      t.variableDeclarator(owner.id, b.entry(Entry.scope, [b.str(owner.name)])),
    ]);
    pass.generated.add(declaration);
    fn.body.body.unshift(declaration);
    pass.changed = true;
  }
}
