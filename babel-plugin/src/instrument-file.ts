import type { NodePath, types as BabelTypes } from '@babel/core';
import type {
  Chain,
  FileScope,
  InstrumentDiagnostic,
  MemberKey,
  ResolvedInstrumentOptions,
  RootName,
} from '@raceway/instrument-core';
import {
  diagnostic,
  Emitter,
  Entry,
  hasOptional,
  hintNearMisses,
  INSTRUMENTED_MARKER,
  location,
  mayHoldHints,
  nearMissDiagnostics,
} from '@raceway/instrument-core';
import { functionHints, hintsOf, takeDecoratorHints } from './annotations.js';
import { BabelBuilder } from './builder.js';

type t = typeof BabelTypes;
type Expr = BabelTypes.Expression;
type Binding = NonNullable<ReturnType<NodePath['scope']['getBinding']>>;

const TS_WRAPPERS = new Set([
  'TSNonNullExpression',
  'TSAsExpression',
  'TSSatisfiesExpression',
  'TSTypeAssertion',
  'ParenthesizedExpression',
]);

/** Per-file state of one instrumentation pass. */
class FilePass {
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

function unwrap(path: NodePath): NodePath {
  let current = path;
  while (TS_WRAPPERS.has(current.node.type)) current = current.get('expression') as NodePath;
  return current;
}

/** The tracked binding an identifier path refers to, if any. */
function trackedName(pass: FilePass, path: NodePath): string | undefined {
  if (!path.isIdentifier()) return undefined;
  const binding = path.scope.getBinding(path.node.name);
  return binding ? pass.tracked.get(binding) : undefined;
}

/** How events name the tracked binding `name` refers to in `scope`: per call when a function declares it. */
function rootNameOf(pass: FilePass, scope: NodePath['scope'], name: string): RootName<Expr> | undefined {
  const binding = scope.getBinding(name);
  const tracked = binding && pass.tracked.get(binding);
  if (tracked === undefined) return undefined;
  const callScope = pass.callScopes.get(binding!);
  return callScope
    ? { kind: 'scoped', name: tracked, scope: pass.t.identifier(callScope.name) }
    : { kind: 'static', name: tracked };
}

function privateClassName(pass: FilePass, path: NodePath<BabelTypes.PrivateName>): string | undefined {
  const name = `#${path.node.id.name}`;
  for (let p: NodePath | null = path.parentPath; p; p = p.parentPath) {
    if (p.isClassBody()) {
      const fields = pass.privateFields.get(p.node);
      if (fields?.has(name)) return fields.get(name);
    }
  }
  return undefined;
}

/** The tracked chain an expression path denotes (through TS-only wrappers), or undefined. */
function chainOf(pass: FilePass, input: NodePath): Chain<Expr> | undefined {
  const path = unwrap(input);
  const t = pass.t;
  const rootName = path.isIdentifier() ? rootNameOf(pass, path.scope, path.node.name) : undefined;
  if (rootName !== undefined) {
    return { rootName, root: path.node as Expr, rootIsIdentifier: true, segments: [] };
  }
  if (!path.isMemberExpression() && !path.isOptionalMemberExpression()) return undefined;
  const node = path.node as BabelTypes.MemberExpression | BabelTypes.OptionalMemberExpression;
  const property = path.get('property') as NodePath;
  const optional = Boolean((node as BabelTypes.OptionalMemberExpression).optional);
  if (property.isPrivateName()) {
    const className = privateClassName(pass, property);
    const inner = chainOf(pass, path.get('object') as NodePath);
    const key: MemberKey<Expr> = { kind: 'static', name: `#${property.node.id.name}`, isPrivate: true };
    if (inner) return { ...inner, segments: [...inner.segments, { key, optional }] };
    if (!className) return undefined;
    const object = unwrap(path.get('object') as NodePath).node as Expr;
    return {
      rootName: { kind: 'instance', className },
      root: object,
      rootIsIdentifier: t.isThisExpression(object),
      segments: [{ key, optional }],
    };
  }
  const inner = chainOf(pass, path.get('object') as NodePath);
  if (!inner) return undefined;
  let key: MemberKey<Expr>;
  if (!node.computed && t.isIdentifier(node.property))
    key = { kind: 'static', name: node.property.name, isPrivate: false };
  else if (t.isStringLiteral(node.property)) key = { kind: 'static', name: node.property.value, isPrivate: false };
  else if (t.isNumericLiteral(node.property))
    key = { kind: 'static', name: String(node.property.value), isPrivate: false };
  else key = { kind: 'dynamic', expr: node.property as Expr };
  return { ...inner, segments: [...inner.segments, { key, optional }] };
}

/** A default value inside a function's parameter list (also nested in a destructured parameter). */
function isParameterDefault(path: NodePath): boolean {
  return (
    path.findParent((p) => p.listKey === 'params' && Boolean(p.parentPath?.isFunction())) !== null ||
    (path.listKey === 'params' && Boolean(path.parentPath?.isFunction()))
  );
}

/** True when `path` is consumed by an enclosing construct that handles the whole chain itself. */
function handledByParent(path: NodePath): boolean {
  let child = path;
  let parent = path.parentPath;
  while (parent && TS_WRAPPERS.has(parent.node.type)) {
    child = parent;
    parent = parent.parentPath;
  }
  if (!parent) return false;
  const p = parent.node;
  const c = child.node;
  switch (p.type) {
    case 'MemberExpression':
    case 'OptionalMemberExpression':
      return p.object === c;
    case 'CallExpression':
    case 'OptionalCallExpression':
      return p.callee === c && (c.type === 'MemberExpression' || c.type === 'OptionalMemberExpression');
    case 'TaggedTemplateExpression':
      // `obj.tag\`...\``: the tag is called as a method of obj (this === obj); the template records the read of obj.
      return p.tag === c && (c.type === 'MemberExpression' || c.type === 'OptionalMemberExpression');
    case 'AssignmentExpression':
      return p.left === c;
    case 'UpdateExpression':
      return true;
    case 'UnaryExpression':
      return p.operator === 'delete';
    case 'BinaryExpression':
      return p.operator === 'in' && p.right === c;
    case 'ExportSpecifier':
    case 'ForInStatement':
    case 'ForOfStatement':
    case 'ArrayPattern':
    case 'RestElement':
      return true;
    case 'AssignmentPattern':
      return p.left === c;
    case 'ObjectProperty':
      return p.value === c && parent.parentPath?.isObjectPattern() === true;
    default:
      return false;
  }
}

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

function staticOrDynamicKey(
  pass: FilePass,
  member: BabelTypes.MemberExpression | BabelTypes.OptionalMemberExpression,
): MemberKey<Expr> {
  const t = pass.t;
  if (t.isPrivateName(member.property)) return { kind: 'static', name: `#${member.property.id.name}`, isPrivate: true };
  if (!member.computed && t.isIdentifier(member.property))
    return { kind: 'static', name: member.property.name, isPrivate: false };
  if (t.isStringLiteral(member.property)) return { kind: 'static', name: member.property.value, isPrivate: false };
  return { kind: 'dynamic', expr: member.property as Expr };
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

function patternHasTracked(pass: FilePass, pattern: NodePath): boolean {
  let found = false;
  pattern.traverse({
    Identifier(p) {
      if (trackedName(pass, p) !== undefined && !p.isReferencedIdentifier()) found = true;
    },
    MemberExpression(p) {
      if (chainOf(pass, p)) found = true;
    },
  });
  if (pattern.isIdentifier() && trackedName(pass, pattern) !== undefined) found = true;
  return found;
}

/** Collects `@tracked` declarations, imports and class fields, and compiles field decorators. */
function collect(pass: FilePass): void {
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

/** The class body whose instance (or, in static members, the class itself) `this` is at `path`. */
function thisOfClass(path: NodePath): { body: BabelTypes.Node; isStatic: boolean } | undefined {
  for (let p = path.parentPath; p; p = p.parentPath) {
    if (p.isArrowFunctionExpression()) continue;
    if (
      p.isClassMethod() ||
      p.isClassPrivateMethod() ||
      p.isClassProperty() ||
      p.isClassPrivateProperty() ||
      p.isStaticBlock()
    ) {
      return {
        body: p.parentPath!.node,
        isStatic: p.isStaticBlock() || Boolean((p.node as { static?: boolean }).static),
      };
    }
    if (p.isFunction() || p.isClass() || p.isProgram()) return undefined;
  }
  return undefined;
}

/** `this.field = …` where `field` is a tracked field of the class declared without initialiser. */
function uninitialisedFieldAssigned(
  pass: FilePass,
  path: NodePath<BabelTypes.AssignmentExpression>,
): { owner: string; name: string } | undefined {
  const t = pass.t;
  const left = path.node.left;
  if (
    !t.isMemberExpression(left) ||
    left.computed ||
    !t.isThisExpression(left.object) ||
    !t.isIdentifier(left.property)
  )
    return undefined;
  const at = thisOfClass(path);
  const owner =
    at && pass.uninitialisedFields.get(at.body)?.get(`${at.isStatic ? 'static ' : ''}${left.property.name}`);
  return owner === undefined ? undefined : { owner, name: left.property.name };
}

/** Rewrites every access of tracked state (children before parents, so sub-expressions are done first). */
function rewriteAccesses(pass: FilePass): void {
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

function functionName(pass: FilePass, path: NodePath<BabelTypes.Function>): { name: string; at: BabelTypes.Node } {
  const t = pass.t;
  const node = path.node;
  const keyName = (key: BabelTypes.Node): string =>
    t.isIdentifier(key)
      ? key.name
      : t.isStringLiteral(key)
        ? key.value
        : t.isPrivateName(key)
          ? `#${key.id.name}`
          : '[computed]';
  if (t.isClassMethod(node) || t.isClassPrivateMethod(node)) {
    const cls = path.parentPath!.parentPath!.node as BabelTypes.Class;
    const className =
      cls.id?.name ??
      (path.parentPath!.parentPath!.parentPath?.isVariableDeclarator()
        ? ((path.parentPath!.parentPath!.parentPath.node as BabelTypes.VariableDeclarator).id as BabelTypes.Identifier)
            .name
        : 'AnonymousClass');
    return { name: `${className}.${keyName(node.key)}`, at: node.key };
  }
  if (t.isObjectMethod(node) || (path.parentPath?.isObjectProperty() && path.parentPath.node.value === node)) {
    const key = t.isObjectMethod(node) ? node.key : (path.parentPath!.node as BabelTypes.ObjectProperty).key;
    const objectPath = t.isObjectMethod(node) ? path.parentPath : path.parentPath!.parentPath;
    const holder = objectPath?.parentPath;
    const prefix = holder?.isVariableDeclarator() && t.isIdentifier(holder.node.id) ? `${holder.node.id.name}.` : '';
    return { name: `${prefix}${keyName(key)}`, at: t.isObjectMethod(node) ? node.key : node };
  }
  if ((t.isFunctionDeclaration(node) || t.isFunctionExpression(node)) && node.id)
    return { name: node.id.name, at: node.id };
  const parent = path.parentPath;
  if (parent?.isVariableDeclarator() && t.isIdentifier(parent.node.id)) return { name: parent.node.id.name, at: node };
  if (
    parent?.isAssignmentExpression() &&
    t.isMemberExpression(parent.node.left) &&
    t.isIdentifier(parent.node.left.property)
  )
    return { name: parent.node.left.property.name, at: node };
  return { name: 'anonymous', at: node };
}

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
function wrapTraced(pass: FilePass): void {
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

/** After an await or yield in a function that touches tracked state, a new segment begins. */
function markBoundaries(pass: FilePass): void {
  const t = pass.t;
  const needs = (path: NodePath) => {
    const fn = path.getFunctionParent();
    return fn ? pass.needsBoundaries.has(fn.node) : pass.programNeedsBoundaries;
  };
  const done = new WeakSet<object>();
  pass.program.traverse({
    'AwaitExpression|YieldExpression': {
      exit(path: NodePath) {
        if (done.has(path.node) || !needs(path)) return;
        done.add(path.node);
        const b = pass.builder(path);
        const wrapped = b.entry(Entry.resume, [path.node as Expr]);
        path.replaceWith(wrapped);
        path.skip();
      },
    },
    ForOfStatement: {
      exit(path) {
        if (!path.node.await || done.has(path.node) || !needs(path)) return;
        done.add(path.node);
        const b = pass.builder(path);
        const mark = t.expressionStatement(b.entry(Entry.boundary, []));
        const body = path.node.body;
        path.node.body = t.isBlockStatement(body)
          ? t.blockStatement([mark, ...body.body])
          : t.blockStatement([mark, body]);
      },
    },
  });
}

/** `const _rwcall = scope("makeQueue")` first in the body of each function that declares tracked bindings. */
function declareCallScopes(pass: FilePass): void {
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
