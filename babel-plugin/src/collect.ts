// The first traversal: `@tracked` declarations, imports and fields, and field decorators compiled away.
import type { types as BabelTypes, NodePath } from '@babel/core';
import { Entry } from '@raceway/instrument-core';
import type { FilePass } from './file-state.js';
import { hintsOf, takeDecoratorHints } from './hints.js';
import { functionName } from './recognise.js';

/** Collects `@tracked` declarations, imports and class fields, and compiles field decorators. */
export function collect(pass: FilePass): void {
  const t = pass.t;
  pass.program.traverse({
    VariableDeclaration(path) {
      if (!hintsOf(path).has('tracked')) return;
      if (path.parentPath.isForStatement() || path.parentPath.isForXStatement()) return pass.warn('RW1001', path.node);
      // Declared in a function: each call has its own bindings, named after the call (`makeQueue#3.pending`).
      const fn = path.getFunctionParent();
      let owner = fn ? pass.scopeOwners.get(fn.node) : undefined;
      if (fn && !owner)
        pass.scopeOwners.set(
          fn.node,
          (owner = { id: fn.scope.generateUidIdentifier('rwcall'), name: functionName(pass, fn).name }),
        );
      for (const declarator of path.get('declarations')) {
        for (const [name, id] of Object.entries(declarator.getBindingIdentifiers())) {
          const binding = declarator.scope.getBinding(name);
          if (!binding || binding.identifier !== id) continue;
          pass.tracked.set(binding, name);
          if (owner) pass.callScopes.set(binding, owner.id);
        }
      }
    },
    // Never silently ignored: @tracked names state (bindings, imports, fields), not functions or parameters.
    FunctionDeclaration(path) {
      if (hintsOf(path).has('tracked')) pass.warn('RW1001', path.node);
    },
    Function(path) {
      for (const param of path.get('params') as NodePath[])
        if (hintsOf(param).has('tracked')) pass.warn('RW1001', param.node);
    },
    ImportDeclaration(path) {
      if (!hintsOf(path).has('tracked')) return;
      for (const spec of path.get('specifiers')) {
        const local = spec.node.local.name;
        const binding = spec.scope.getBinding(local);
        const imported = spec.isImportSpecifier()
          ? t.isIdentifier(spec.node.imported)
            ? spec.node.imported.name
            : spec.node.imported.value
          : local;
        if (binding) pass.tracked.set(binding, imported);
      }
    },
    'ClassProperty|ClassPrivateProperty'(path: NodePath) {
      const node = path.node as BabelTypes.ClassProperty | BabelTypes.ClassPrivateProperty;
      const hints = takeDecoratorHints(t, node);
      for (const h of hintsOf(path)) hints.add(h);
      if (!hints.has('tracked')) return;
      const classPath = path.parentPath!.parentPath as NodePath<BabelTypes.Class>;
      const className =
        classPath.node.id?.name ??
        (classPath.parentPath?.isVariableDeclarator() && t.isIdentifier(classPath.parentPath.node.id)
          ? classPath.parentPath.node.id.name
          : 'AnonymousClass');
      if (t.isClassPrivateProperty(node)) {
        const body = path.parentPath!.node;
        if (!pass.privateFields.has(body)) pass.privateFields.set(body, new Map());
        pass.privateFields.get(body)!.set(`#${node.key.id.name}`, className);
        return;
      }
      if (node.computed || !(t.isIdentifier(node.key) || t.isStringLiteral(node.key))) return pass.warn('RW1001', node);
      const field = t.isIdentifier(node.key) ? node.key.name : node.key.value;
      const b = pass.builder(path);
      if (node.value) {
        // The initialiser tracks the field when it is compiled to an assignment (loose class properties).
        node.value = b.entry(Entry.initField, [
          t.thisExpression(),
          b.str(className),
          b.str(field),
          node.value,
          b.str(pass.loc(node.key)),
        ]);
      } else {
        const body = path.parentPath!.node;
        if (!pass.uninitialisedFields.has(body)) pass.uninitialisedFields.set(body, new Map());
        pass.uninitialisedFields.get(body)!.set(`${node.static ? 'static ' : ''}${field}`, className);
      }
      const init = b.entry(Entry.trackField, [
        t.thisExpression(),
        b.str(className),
        b.str(field),
        b.str(pass.loc(node.key)),
      ]);
      const tracker = t.classPrivateProperty(
        t.privateName(path.scope.generateUidIdentifier(`rwTrack_${field}`)),
        init,
        null,
        node.static,
      );
      pass.generated.add(tracker);
      path.insertAfter(tracker);
      pass.changed = true;
    },
    'ClassMethod|ClassPrivateMethod'(path: NodePath) {
      const node = path.node as BabelTypes.ClassMethod;
      const hints = takeDecoratorHints(t, node);
      if (hints.has('traced')) pass.tracedMethods.add(node);
      if (hints.has('tracked') || hintsOf(path).has('tracked')) pass.warn('RW1004', node);
    },
  });
}
