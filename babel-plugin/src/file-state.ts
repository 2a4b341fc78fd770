// The state of one instrumentation pass over a file: what is tracked, what was generated, diagnostics.
import type { types as BabelTypes, NodePath } from '@babel/core';
import type { InstrumentDiagnostic, ResolvedInstrumentOptions } from '@raceway/instrument-core';
import { diagnostic, Emitter, location } from '@raceway/instrument-core';
import { BabelBuilder } from './builder.js';

export type t = typeof BabelTypes;

export type Expr = BabelTypes.Expression;

type Binding = NonNullable<ReturnType<NodePath['scope']['getBinding']>>;

/** Per-file state of one instrumentation pass. */
export class FilePass {
  readonly generated = new WeakSet<object>();
  readonly tracked = new Map<Binding, string>();
  /** A tracked binding declared in a function → the constant naming each call of that function. */
  readonly callScopes = new Map<Binding, BabelTypes.Identifier>();
  /** Functions that declare tracked bindings → their call-name constant and the function's name. */
  readonly scopeOwners = new Map<BabelTypes.Function, { id: BabelTypes.Identifier; name: string }>();
  /** `#name` tracked per class body node → class name. */
  readonly privateFields = new Map<BabelTypes.Node, Map<string, string>>();
  /** class body → tracked public fields declared without initialiser (created by an assignment) → class name */
  readonly uninitialisedFields = new Map<BabelTypes.Node, Map<string, string>>();
  readonly needsBoundaries = new WeakSet<object>();
  /** Class methods whose `@traced` decorator was compiled away. */
  readonly tracedMethods = new WeakSet<object>();
  programNeedsBoundaries = false;
  changed = false;
  readonly diagnostics: InstrumentDiagnostic[] = [];

  constructor(
    readonly t: t,
    readonly program: NodePath<BabelTypes.Program>,
    readonly file: string,
    readonly relative: string,
    readonly moduleName: string,
    readonly options: ResolvedInstrumentOptions,
    readonly entryName: string,
  ) {}

  loc(node: BabelTypes.Node): string {
    const start = node.loc?.start;
    return location(this.relative, start?.line ?? 0, (start?.column ?? 0) + 1);
  }

  /** Temporaries of the parameter defaults being rewritten, innermost last. */
  readonly paramTemps: BabelTypes.Identifier[][] = [];

  builder(path: NodePath): BabelBuilder {
    return new BabelBuilder(this.t, this.entryName, path, this.generated, this.paramTemps.at(-1));
  }

  emitter(path: NodePath, node: BabelTypes.Node): Emitter<Expr> {
    this.changed = true;
    const fn = path.getFunctionParent();
    if (fn) this.needsBoundaries.add(fn.node);
    else this.programNeedsBoundaries = true;
    return new Emitter(this.builder(path), this.loc(node));
  }

  warn(code: Parameters<typeof diagnostic>[0], node: BabelTypes.Node): void {
    this.diagnostics.push(
      diagnostic(code, this.relative, node.loc?.start.line ?? 0, (node.loc?.start.column ?? 0) + 1),
    );
  }
}
