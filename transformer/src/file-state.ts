// The state of one transformation of a file: what is tracked, which functions need boundaries, diagnostics.
import type { InstrumentDiagnostic, ResolvedInstrumentOptions } from '@raceway/instrument-core';
import { diagnostic, Emitter, location } from '@raceway/instrument-core';
import type * as TS from 'typescript';
import type { TsBuilder } from './builder.js';

export type Expr = TS.Expression;

/** Per-file state: what is tracked, which functions need segment boundaries. */
export interface FileState {
  ts: typeof TS;
  sf: TS.SourceFile;
  checker: TS.TypeChecker;
  context: TS.TransformationContext;
  options: ResolvedInstrumentOptions;
  relative: string;
  moduleName: string;
  entry: TS.Identifier;
  builder: TsBuilder;
  tracked: Map<TS.Symbol, string>;
  /** A tracked binding declared in a function → the constant naming each call of that function. */
  callScopes: Map<TS.Symbol, TS.Identifier>;
  /** Functions (original nodes) that declare tracked bindings → their call-name constant. */
  scopeOwners: Map<TS.Node, TS.Identifier>;
  /** class node → tracked #private names → class name */
  privateFields: Map<TS.Node, Map<string, string>>;
  /** class node → tracked public fields declared without initialiser (created by an assignment) → class name */
  uninitialisedFields: Map<TS.Node, Map<string, string>>;
  needsBoundaries: Set<TS.Node>;
  changed: boolean;
  diagnostics: InstrumentDiagnostic[];
}

export function loc(s: FileState, node: TS.Node): string {
  const { line, character } = s.sf.getLineAndCharacterOfPosition(node.getStart(s.sf));
  return location(s.relative, line + 1, character + 1);
}

export function warn(s: FileState, code: Parameters<typeof diagnostic>[0], node: TS.Node): void {
  const { line, character } = s.sf.getLineAndCharacterOfPosition(node.getStart(s.sf));
  s.diagnostics.push(diagnostic(code, s.relative, line + 1, character + 1));
}

export function emitter(s: FileState, at: TS.Node): Emitter<Expr> {
  s.changed = true;
  return new Emitter(s.builder, loc(s, at));
}
