// `@traced` functions: each call recorded (an async one as a child task), its promise returned as is.
import type { types as BabelTypes, NodePath } from '@babel/core';
import { Entry } from '@raceway/instrument-core';
import type { BabelBuilder } from './builder.js';
import type { Expr, FilePass } from './file-state.js';
import { functionHints } from './hints.js';
import { functionName } from './recognise.js';

function argsOf(pass: FilePass, b: BabelBuilder, params: BabelTypes.Node[]): Expr {
  const t = pass.t;
  if (pass.options.trackArgs === 'none') return b.array([]);
  const items = params.map((p) => {
    if (t.isIdentifier(p)) return { expr: b.ref(p), spread: false };
    if (t.isAssignmentPattern(p) && t.isIdentifier(p.left)) return { expr: b.ref(p.left), spread: false };
    if (t.isRestElement(p) && t.isIdentifier(p.argument)) return { expr: b.ref(p.argument), spread: true };
    if (t.isTSParameterProperty(p)) {
      const inner = p.parameter;
      const id = t.isIdentifier(inner)
        ? inner
        : t.isAssignmentPattern(inner) && t.isIdentifier(inner.left)
          ? inner.left
          : undefined;
      if (id) return { expr: b.ref(t.identifier(id.name)), spread: false };
    }
    return { expr: b.str('[pattern]'), spread: false };
  });
  return b.entry(Entry.args, [b.array(items), b.str(pass.options.trackArgs)]);
}

/** A `var` or function declared in the body under a parameter's name (the same binding, as written). */
function redeclaresParameter(pass: FilePass, path: NodePath<BabelTypes.Function>): boolean {
  const names = new Set(path.node.params.flatMap((p) => Object.keys(pass.t.getBindingIdentifiers(p))));
  if (names.size === 0 || !pass.t.isBlockStatement(path.node.body)) return false;
  let found = false;
  path.get('body').traverse({
    Function(inner) {
      if (
        inner.isFunctionDeclaration() &&
        inner.node.id &&
        names.has(inner.node.id.name) &&
        inner.parentPath.parentPath === path
      )
        found = true;
      inner.skip();
    },
    VariableDeclaration(declaration) {
      if (declaration.node.kind !== 'var') return;
      for (const d of declaration.node.declarations)
        for (const name of Object.keys(pass.t.getBindingIdentifiers(d.id))) if (names.has(name)) found = true;
    },
  });
  return found;
}

/** Wraps traced functions so each call is recorded (and an async one runs as a child task). */
export function wrapTraced(pass: FilePass): void {
  const t = pass.t;
  pass.program.traverse({
    Function: {
      exit(path) {
        const node = path.node;
        if (pass.generated.has(node)) return;
        const decorated = pass.tracedMethods.has(node);
        if (!decorated && !functionHints(path).has('traced')) return;
        if (t.isClassMethod(node) && (node.kind === 'constructor' || node.kind === 'get' || node.kind === 'set'))
          return pass.warn('RW1002', node);
        const { name, at } = functionName(pass, path);
        const b = pass.builder(path);
        const site = [b.str(name), b.str(pass.moduleName), b.str(pass.loc(at))];
        const args = argsOf(pass, b, node.params);
        pass.changed = true;
        if (node.generator) {
          const body = node.body as BabelTypes.BlockStatement;
          const enter = t.expressionStatement(b.entry(Entry.enter, [...site, args]));
          pass.generated.add(enter);
          body.body.unshift(enter);
          pass.needsBoundaries.add(node);
          return;
        }
        const innerBody = t.isBlockStatement(node.body) ? node.body : (node.body as Expr);
        const simple = node.params.every(
          (p) => t.isIdentifier(p) || (t.isRestElement(p) && t.isIdentifier(p.argument)),
        );
        let inner: BabelTypes.ArrowFunctionExpression;
        let callArgs = args;
        if ((node.async && !simple) || redeclaresParameter(pass, path)) {
          // The parameters move with the body into the inner function (defaults evaluated inside the call,
          // a throwing one rejecting, `var`s in the body sharing their names); the outer one keeps `length`.
          const own = node.params.filter((p) => !(t.isIdentifier(p) && p.name === 'this'));
          const counted = own.findIndex((p) => t.isAssignmentPattern(p) || t.isRestElement(p));
          const placeholders = own
            .slice(0, counted === -1 ? own.length : counted)
            .map(() => path.scope.generateUidIdentifier('rwp'));
          const rest = path.scope.generateUidIdentifier('rwrest');
          const body = t.arrowFunctionExpression(
            own as BabelTypes.ArrowFunctionExpression['params'],
            innerBody,
            node.async,
          );
          inner = t.arrowFunctionExpression([], t.callExpression(body, [...placeholders, t.spreadElement(rest)]));
          pass.needsBoundaries.add(body);
          pass.generated.add(body);
          node.params = [...node.params.filter((p) => !own.includes(p)), ...placeholders, t.restElement(rest)];
          callArgs =
            pass.options.trackArgs === 'none'
              ? b.array([])
              : b.entry(Entry.args, [
                  b.array([
                    ...placeholders.map((id) => ({ expr: b.ref(id), spread: false })),
                    { expr: b.ref(rest), spread: true },
                  ]),
                  b.str(pass.options.trackArgs),
                ]);
        } else {
          inner = t.arrowFunctionExpression([], innerBody, node.async);
          pass.needsBoundaries.add(inner);
        }
        pass.generated.add(inner);
        const call = b.entry(node.async ? Entry.callAsync : Entry.callSync, [...site, callArgs, inner]);
        if (t.isArrowFunctionExpression(node) && !t.isBlockStatement(node.body)) node.body = call;
        else node.body = t.blockStatement([t.returnStatement(call)]);
        // An async function would wrap the traced call's promise in its own, settling turns later: the
        // outer function returns that promise itself (its parameters, now plain, cannot throw).
        node.async = false;
        pass.generated.add(node);
      },
    },
  });
}
