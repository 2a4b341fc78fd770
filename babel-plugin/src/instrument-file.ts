// One file's pass: collect, rewrite accesses, wrap traced functions, mark boundaries, add the entry import.
import type { types as BabelTypes, NodePath } from '@babel/core';
import type { FileScope, InstrumentDiagnostic, ResolvedInstrumentOptions } from '@raceway/instrument-core';
import { hintNearMisses, INSTRUMENTED_MARKER, mayHoldHints, nearMissDiagnostics } from '@raceway/instrument-core';
import { markBoundaries } from './boundaries.js';
import { collect } from './collect.js';
import type { t } from './file-state.js';
import { FilePass } from './file-state.js';
import { wrapTraced } from './traced.js';
import { declareCallScopes, rewriteAccesses } from './visitor.js';

function usesCommonJs(t: t, program: BabelTypes.Program, file: string): boolean {
  if (/\.c[jt]s$/.test(file)) return true;
  if (/\.m[jt]s$/.test(file)) return false;
  if (program.body.some((s) => t.isImportDeclaration(s) || t.isExportDeclaration(s))) return false;
  return program.sourceType === 'script';
}

export interface PassResult {
  changed: boolean;
  diagnostics: InstrumentDiagnostic[];
}

/** Instruments one program. `scope` decides file inclusion and naming. */
export function instrumentProgram(
  t: t,
  program: NodePath<BabelTypes.Program>,
  file: string,
  code: string,
  scope: FileScope,
  options: ResolvedInstrumentOptions,
): PassResult {
  if (!scope.accepts(file) || code.includes(INSTRUMENTED_MARKER)) return { changed: false, diagnostics: [] };
  const misses = nearMissDiagnostics(hintNearMisses(code), code, scope.relative(file));
  if (!mayHoldHints(code)) return { changed: false, diagnostics: misses };
  const entryName = program.scope.generateUid('raceway');
  const pass = new FilePass(t, program, file, scope.relative(file), scope.moduleName(file), options, entryName);
  collect(pass);
  rewriteAccesses(pass);
  wrapTraced(pass);
  markBoundaries(pass);
  declareCallScopes(pass);
  pass.diagnostics.unshift(...misses);
  if (!pass.changed) return { changed: false, diagnostics: pass.diagnostics };
  const source = t.stringLiteral(options.runtimeModule);
  const declaration = usesCommonJs(t, program.node, file)
    ? t.variableDeclaration('const', [
        t.variableDeclarator(t.identifier(entryName), t.callExpression(t.identifier('require'), [source])),
      ])
    : t.importDeclaration([t.importNamespaceSpecifier(t.identifier(entryName))], source);
  t.addComment(declaration, 'leading', ` ${INSTRUMENTED_MARKER} `, false);
  const [inserted] = program.unshiftContainer('body', declaration);
  program.scope.registerDeclaration(inserted as NodePath);
  program.scope.crawl();
  return { changed: true, diagnostics: pass.diagnostics };
}
