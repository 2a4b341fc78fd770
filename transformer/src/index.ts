import path from 'node:path';
import type * as TS from 'typescript';
import { FileScope, resolveInstrumentOptions } from '@raceway/instrument-core';
import type { InstrumentOptions } from '@raceway/instrument-core';
import { transformSourceFile } from './instrument-file.js';

/** What ts-patch hands a program transformer as its third argument. */
interface TransformerExtras {
  ts: typeof TS;
  addDiagnostic?: (diagnostic: TS.Diagnostic) => number;
}

/**
 * The ts-patch entry: `"plugins": [{ "transform": "@raceway/transformer" }]` in tsconfig, built with
 * `tspc`. Uses the TypeScript instance of the host compiler (never a second copy). TypeScript 5.9 and 6.0.
 */
export default function racewayTransformer(
  program: TS.Program,
  config: InstrumentOptions = {},
  extras?: TransformerExtras,
): TS.TransformerFactory<TS.SourceFile> {
  if (!extras?.ts) {
    throw new Error(
      '@raceway/transformer: no TypeScript instance given; build with ts-patch (tspc), or pass { ts } as the third argument',
    );
  }
  const ts = extras.ts;
  const options = resolveInstrumentOptions(config);
  const compilerOptions = program.getCompilerOptions();
  const configDir =
    typeof compilerOptions.configFilePath === 'string' ? path.dirname(compilerOptions.configFilePath) : undefined;
  const root = path.resolve(options.root ?? configDir ?? program.getCurrentDirectory());
  const scope = new FileScope(options, root);
  return (context) => (sf) =>
    transformSourceFile(ts, program, context, sf, scope, options, (file, diagnostics) => {
      for (const d of diagnostics) {
        const diag: TS.Diagnostic = {
          category: ts.DiagnosticCategory.Warning,
          code: Number(d.code.slice(2)),
          file,
          start: file.getPositionOfLineAndCharacter(d.line - 1, d.column - 1),
          length: 1,
          messageText: d.message,
          source: 'raceway',
        };
        extras?.addDiagnostic?.(diag);
      }
    });
}
