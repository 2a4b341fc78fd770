// One file's transformation: collect, mark boundary scopes, visit, add the entry import.
import type { FileScope, InstrumentDiagnostic, ResolvedInstrumentOptions } from '@raceway/instrument-core';
import { hintNearMisses, INSTRUMENTED_MARKER, mayHoldHints, nearMissDiagnostics } from '@raceway/instrument-core';
import type * as TS from 'typescript';
import { markBoundaryScopes } from './boundaries.js';
import { TsBuilder } from './builder.js';
import { collect } from './collect.js';
import type { FileState } from './file-state.js';
import { makeVisitor } from './visitor.js';

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
