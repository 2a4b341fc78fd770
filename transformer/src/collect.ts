// The first walk: `@tracked` declarations, imports and fields, and misplaced annotations.
import type * as TS from 'typescript';
import type { FileState } from './file-state.js';
import { warn } from './file-state.js';
import { decoratorHints, hintsAt } from './hints.js';
import { className } from './recognise.js';

/** Collects tracked symbols and #private fields, and the functions that touch them. */
export function collect(s: FileState): void {
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
