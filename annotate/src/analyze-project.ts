import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { hintsInComments } from '@raceway/instrument-core';
import { MUTATING_METHODS } from '@raceway/protocol';
import { Node, Project, SyntaxKind, ts } from 'ts-morph';
import type {
  ArrowFunction,
  ClassDeclaration,
  FunctionDeclaration,
  FunctionExpression,
  Identifier,
  MethodDeclaration,
  PropertyDeclaration,
  SourceFile,
  VariableDeclaration,
} from 'ts-morph';

/** The function shapes the command looks at. */
export type Fn = FunctionDeclaration | FunctionExpression | ArrowFunction | MethodDeclaration;
import type { AnnotateResult, FunctionCandidate, Risk, StateCandidate } from './candidates.js';
import { RISK_ORDER } from './candidates.js';

export class AnnotateError extends Error {}

const TEST_FILE = /(^|\/)(__tests__|tests?)\/|\.(test|spec)\.[cm]?[jt]sx?$/;

/** Opens a project from its tsconfig with clear errors for a missing or broken one. */
export function openProject(tsconfig: string): Project {
  const file = path.resolve(tsconfig);
  if (!existsSync(file)) throw new AnnotateError(`no tsconfig at ${file} (pass --project path/to/tsconfig.json)`);
  const parsed = ts.parseConfigFileTextToJson(file, readFileSync(file, 'utf8'));
  if (parsed.error)
    throw new AnnotateError(`cannot read ${file}: ${ts.flattenDiagnosticMessageText(parsed.error.messageText, '\n')}`);
  return new Project({ tsConfigFilePath: file });
}

/** Read through the same code as both instrumenters, so --check counts exactly what a build instruments. */
function isAnnotated(node: Node, tag: 'tracked' | 'traced'): boolean {
  const full = node.getSourceFile().getFullText();
  const ranges = [
    ...(ts.getTrailingCommentRanges(full, node.getPos()) ?? []),
    ...(ts.getLeadingCommentRanges(full, node.getPos()) ?? []),
  ];
  if (hintsInComments(ranges.map((r) => full.slice(r.pos, r.end))).has(tag)) return true;
  if (Node.isDecoratable(node)) return node.getDecorators().some((d) => d.getName() === tag);
  return false;
}

function enclosingFunction(node: Node): Fn | undefined {
  return node.getFirstAncestor(
    (a) =>
      Node.isFunctionDeclaration(a) ||
      Node.isFunctionExpression(a) ||
      Node.isArrowFunction(a) ||
      Node.isMethodDeclaration(a),
  ) as Fn | undefined;
}

function isAsync(fn: Fn): boolean {
  return fn.isAsync();
}

/** How a reference uses the state: a write of the binding, a mutation through it, or a read. */
function usage(ref: Node): 'assign' | 'mutate' | 'read' {
  let node: Node = ref;
  let parent = node.getParent();
  let throughMember = false;
  while (
    parent &&
    (Node.isPropertyAccessExpression(parent) ||
      Node.isElementAccessExpression(parent) ||
      Node.isNonNullExpression(parent) ||
      Node.isParenthesizedExpression(parent)) &&
    parent.getExpression() === node
  ) {
    if (Node.isPropertyAccessExpression(parent) || Node.isElementAccessExpression(parent)) throughMember = true;
    node = parent;
    parent = node.getParent();
  }
  if (!parent) return 'read';
  const written =
    (Node.isBinaryExpression(parent) &&
      parent.getLeft() === node &&
      parent.getOperatorToken().getKind() >= SyntaxKind.FirstAssignment &&
      parent.getOperatorToken().getKind() <= SyntaxKind.LastAssignment) ||
    ((Node.isPrefixUnaryExpression(parent) || Node.isPostfixUnaryExpression(parent)) &&
      [SyntaxKind.PlusPlusToken, SyntaxKind.MinusMinusToken].includes(parent.getOperatorToken())) ||
    Node.isDeleteExpression(parent);
  if (written) return throughMember ? 'mutate' : 'assign';
  // receiver.method(...) with a mutating method name
  if (throughMember && Node.isCallExpression(parent) && parent.getExpression() === node) {
    const callee = node as Node;
    if (Node.isPropertyAccessExpression(callee) && MUTATING_METHODS.has(callee.getName())) return 'mutate';
  }
  return 'read';
}

const ENTRY_CALLS =
  /^(get|post|put|patch|delete|head|options|all|use|route|handle|createServer|setInterval|setTimeout|setImmediate|on|once|addListener|addHook|register)$/;

/** Functions passed as callbacks to route, server, emitter or timer registrations: where work starts. */
function isEntryCallback(fn: Fn): boolean {
  const parent = fn.getParent();
  if (!parent || !Node.isCallExpression(parent) || !parent.getArguments().includes(fn)) return false;
  const callee = parent.getExpression();
  const name = Node.isPropertyAccessExpression(callee)
    ? callee.getName()
    : Node.isIdentifier(callee)
      ? callee.getText()
      : '';
  return ENTRY_CALLS.test(name);
}

/** Is `fn` a request/timer entry, or called (transitively) from one? Bounded walk over call references. */
function reachableFromEntry(fn: Fn, seen = new Set<Fn>()): boolean {
  if (seen.has(fn) || seen.size > 200) return false;
  seen.add(fn);
  if (isEntryCallback(fn)) return true;
  const name = Node.isFunctionDeclaration(fn)
    ? fn.getNameNode()
    : Node.isMethodDeclaration(fn)
      ? fn.getNameNode()
      : Node.isVariableDeclaration(fn.getParent())
        ? (fn.getParent() as VariableDeclaration).getNameNode()
        : undefined;
  if (!name || !Node.isIdentifier(name)) return false;
  for (const ref of name.findReferencesAsNodes()) {
    if (ref === name) continue;
    // Passed as a callback by name (`app.post('/', handler)`) counts as an entry too.
    const call = ref.getParent();
    if (call && Node.isCallExpression(call) && call.getArguments().includes(ref)) {
      const callee = call.getExpression();
      const calleeName = Node.isPropertyAccessExpression(callee) ? callee.getName() : callee.getText();
      if (ENTRY_CALLS.test(calleeName)) return true;
    }
    const caller = enclosingFunction(ref);
    if (caller && reachableFromEntry(caller, seen)) return true;
  }
  return false;
}

interface Use {
  node: Node;
  kind: 'assign' | 'mutate' | 'read';
  fn: Fn | undefined;
}

/** Positions of awaits that belong to `fn` itself (not to functions nested in it). */
function awaitsOf(fn: Fn): number[] {
  return fn
    .getDescendantsOfKind(SyntaxKind.AwaitExpression)
    .filter((a) => enclosingFunction(a) === fn)
    .map((a) => a.getStart())
    .concat(
      fn
        .getDescendantsOfKind(SyntaxKind.ForOfStatement)
        .filter((f) => f.compilerNode.awaitModifier !== undefined && enclosingFunction(f) === fn)
        .map((f) => f.getStart()),
    );
}

/** An async function that reads then writes (or writes then reads) the state with an await between. */
function splitByAwait(uses: Use[]): Fn[] {
  const byFn = new Map<Fn, Use[]>();
  for (const u of uses) if (u.fn && isAsync(u.fn)) byFn.set(u.fn, [...(byFn.get(u.fn) ?? []), u]);
  const out: Fn[] = [];
  for (const [fn, list] of byFn) {
    const awaits = awaitsOf(fn);
    const reads = list.filter((u) => u.kind === 'read').map((u) => u.node.getStart());
    const writes = list.filter((u) => u.kind !== 'read').map((u) => u.node.getStart());
    const between = (a: number, b: number) => awaits.some((w) => w > Math.min(a, b) && w < Math.max(a, b));
    if (
      reads.some((r) => writes.some((w) => between(r, w))) ||
      writes.some((w1) => writes.some((w2) => w1 < w2 && between(w1, w2)))
    )
      out.push(fn);
  }
  return out;
}

function functionName(fn: Fn): string {
  if (Node.isMethodDeclaration(fn))
    return `${(fn.getParent() as ClassDeclaration).getName?.() ?? 'class'}.${fn.getName()}`;
  if (Node.isFunctionDeclaration(fn)) return fn.getName() ?? 'anonymous';
  const decl = fn.getParent();
  if (decl && Node.isVariableDeclaration(decl)) return decl.getName();
  return 'anonymous function';
}

export interface Analysis extends AnnotateResult {
  /** For --write: the nodes behind each candidate. */
  targets: {
    state: Map<StateCandidate, VariableDeclaration | PropertyDeclaration>;
    functions: Map<FunctionCandidate, Fn>;
  };
}

/** Finds the shared mutable state of a project and the async functions that should be traced. */
export function analyzeProject(project: Project, root: string): Analysis {
  const state: StateCandidate[] = [];
  const functions = new Map<Fn, FunctionCandidate>();
  const stateTargets = new Map<StateCandidate, VariableDeclaration | PropertyDeclaration>();
  const fnTargets = new Map<FunctionCandidate, Fn>();
  const skipped: AnnotateResult['skipped'] = [];
  const where = (node: Node) => {
    const sf = node.getSourceFile();
    const { line, column } = sf.getLineAndColumnAtPos(node.getStart());
    return `${path.relative(root, sf.getFilePath()).split(path.sep).join('/')}:${line}:${column}`;
  };
  const files = project.getSourceFiles().filter((sf) => {
    const rel = path.relative(root, sf.getFilePath()).split(path.sep).join('/');
    return !sf.isDeclarationFile() && !sf.isInNodeModules() && !rel.startsWith('..') && !TEST_FILE.test(rel);
  });
  const traceAlso = (fns: Fn[], what: string) => {
    for (const fn of fns) {
      if (
        functions.has(fn) ||
        isAnnotated(
          Node.isVariableDeclaration(fn.getParent()) ? fn.getParent()!.getParent()!.getParent()! : fn,
          'traced',
        )
      )
        continue;
      const c = { name: functionName(fn), location: where(fn), reason: `async, touches ${what} across an await` };
      functions.set(fn, c);
      fnTargets.set(c, fn);
    }
  };
  const add = (c: StateCandidate, target: VariableDeclaration | PropertyDeclaration) => {
    state.push(c);
    stateTargets.set(c, target);
  };

  for (const sf of files) {
    const syntax = (sf.compilerNode as unknown as { parseDiagnostics?: unknown[] }).parseDiagnostics ?? [];
    if (syntax.length > 0) {
      skipped.push({ file: path.relative(root, sf.getFilePath()), reason: `${syntax.length} syntax error(s)` });
      continue;
    }
    for (const statement of sf.getVariableStatements()) {
      if (isAnnotated(statement, 'tracked')) continue;
      for (const decl of statement.getDeclarations()) {
        const init = decl.getInitializer();
        if (
          init &&
          (Node.isArrowFunction(init) ||
            Node.isFunctionExpression(init) ||
            Node.isClassExpression(init) ||
            (Node.isCallExpression(init) && init.getExpression().getText() === 'require'))
        )
          continue;
        const nameNode = decl.getNameNode();
        if (!Node.isIdentifier(nameNode)) continue;
        const uses: Use[] = (nameNode as Identifier)
          .findReferencesAsNodes()
          .filter((r) => r !== nameNode)
          .map((r) => ({ node: r, kind: usage(r), fn: enclosingFunction(r) }));
        const isLet = statement.getDeclarationKind() !== 'const';
        const inFunctions = uses.filter((u) => u.fn);
        const assignedInAsync = uses.some((u) => u.kind === 'assign' && u.fn && isAsync(u.fn));
        const mutatedInFunction = inFunctions.some((u) => u.kind !== 'read' && reachableFromEntry(u.fn!));
        const split = splitByAwait(uses);
        const name = decl.getName();
        const files = new Set(uses.map((u) => u.node.getSourceFile().getFilePath()));
        const across =
          files.size > 1 || (files.size === 1 && !files.has(sf.getFilePath())) ? ' (used from other modules too)' : '';
        if (split.length > 0) {
          add(
            {
              risk: 'high',
              kind: 'variable',
              name,
              location: where(decl),
              reason: `read and written across an await in ${split.map(functionName).join(', ')}${across}`,
            },
            decl,
          );
          traceAlso(split, name);
        } else if (isLet && assignedInAsync) {
          add(
            {
              risk: 'high',
              kind: 'variable',
              name,
              location: where(decl),
              reason: `module-level let assigned inside an async function${across}`,
            },
            decl,
          );
        } else if (!isLet && mutatedInFunction) {
          add(
            {
              risk: 'medium',
              kind: 'variable',
              name,
              location: where(decl),
              reason: `module-level state mutated in code reached from request handlers or timers${across}`,
            },
            decl,
          );
        } else if (
          isLet ||
          (init &&
            (Node.isObjectLiteralExpression(init) || Node.isArrayLiteralExpression(init) || Node.isNewExpression(init)))
        ) {
          if (isLet && uses.every((u) => u.kind === 'read')) continue;
          if (!isLet && !uses.some((u) => u.kind !== 'read')) continue; // read-only module constant
          add({ risk: 'low', kind: 'variable', name, location: where(decl), reason: 'mutable module state' }, decl);
        }
      }
    }
    for (const cls of sf.getClasses()) {
      for (const prop of cls.getProperties()) {
        if (isAnnotated(prop, 'tracked')) continue;
        const uses: Use[] = (prop.getNameNode() as Identifier)
          .findReferencesAsNodes()
          .filter((r) => r !== prop.getNameNode())
          .map((r) => ({ node: r, kind: usage(r.getParent()!), fn: enclosingFunction(r) }));
        const split = splitByAwait(uses);
        if (split.length > 0) {
          add(
            {
              risk: 'high',
              kind: 'field',
              name: `${cls.getName() ?? 'class'}.${prop.getName()}`,
              location: where(prop),
              reason: `read and written across an await in ${split.map(functionName).join(', ')}`,
            },
            prop,
          );
          traceAlso(split, prop.getName());
        } else if (uses.some((u) => u.kind !== 'read' && u.fn && isAsync(u.fn))) {
          add(
            {
              risk: 'medium',
              kind: 'field',
              name: `${cls.getName() ?? 'class'}.${prop.getName()}`,
              location: where(prop),
              reason: 'assigned inside an async method',
            },
            prop,
          );
        }
      }
    }
  }
  const typeErrors = project
    .getPreEmitDiagnostics()
    .filter((d) => d.getCategory() === ts.DiagnosticCategory.Error).length;
  state.sort((a, b) => RISK_ORDER[a.risk] - RISK_ORDER[b.risk] || a.location.localeCompare(b.location));
  return {
    state,
    functions: [...functions.values()],
    skipped,
    typeErrors,
    targets: { state: stateTargets, functions: fnTargets },
  };
}

export function atLeast(risk: Risk, min: Risk): boolean {
  return RISK_ORDER[risk] <= RISK_ORDER[min];
}

export type { SourceFile };
