// Recognising tracked expressions in Babel's AST: tracked bindings, member chains, #private fields, the
// contexts that rewrite a node themselves, and the names of functions.
import type { types as BabelTypes, NodePath } from '@babel/core';
import type {
  Chain,
  ChainPosition,
  ChainSyntax,
  FunctionSite,
  KeySyntax,
  MemberKey,
  RootName,
} from '@raceway/instrument-core';
import { ANONYMOUS_CLASS, consumedByParent, functionNameOf, memberChain, memberKeyOf } from '@raceway/instrument-core';
import type { Expr, FilePass } from './file-state.js';

const TS_WRAPPERS = new Set([
  'TSNonNullExpression',
  'TSAsExpression',
  'TSSatisfiesExpression',
  'TSTypeAssertion',
  'ParenthesizedExpression',
]);

export function unwrap(path: NodePath): NodePath {
  let current = path;
  while (TS_WRAPPERS.has(current.node.type)) current = current.get('expression') as NodePath;
  return current;
}

/** The tracked binding an identifier path refers to, if any. */
export function trackedName(pass: FilePass, path: NodePath): string | undefined {
  if (!path.isIdentifier()) return undefined;
  const binding = path.scope.getBinding(path.node.name);
  return binding ? pass.tracked.get(binding) : undefined;
}

/** How events name the tracked binding `name` refers to in `scope`: per call when a function declares it. */
export function rootNameOf(pass: FilePass, scope: NodePath['scope'], name: string): RootName<Expr> | undefined {
  const binding = scope.getBinding(name);
  const tracked = binding && pass.tracked.get(binding);
  if (tracked === undefined) return undefined;
  const callScope = pass.callScopes.get(binding!);
  return callScope
    ? { kind: 'scoped', name: tracked, scope: pass.t.identifier(callScope.name) }
    : { kind: 'static', name: tracked };
}

function privateClassName(pass: FilePass, path: NodePath, name: string): string | undefined {
  for (let p: NodePath | null = path.parentPath; p; p = p.parentPath) {
    if (p.isClassBody()) {
      const fields = pass.privateFields.get(p.node);
      if (fields?.has(name)) return fields.get(name);
    }
  }
  return undefined;
}

/** A member key as written (`.a`, `.#a`, `["a"]`, `` [`a`] ``, `[1]`, `[k]`). */
export function keySyntaxOf(
  pass: FilePass,
  member: BabelTypes.MemberExpression | BabelTypes.OptionalMemberExpression,
): KeySyntax<Expr> {
  const t = pass.t;
  const property = member.property;
  if (t.isPrivateName(property)) return { kind: 'private', name: `#${property.id.name}` };
  if (!member.computed && t.isIdentifier(property)) return { kind: 'name', name: property.name };
  return literalKey(pass, property) ?? { kind: 'computed', expr: property as Expr };
}

/** A string, number or plain template literal used as a key. */
function literalKey(pass: FilePass, node: BabelTypes.Node): KeySyntax<Expr> | undefined {
  const t = pass.t;
  if (t.isStringLiteral(node)) return { kind: 'string', value: node.value };
  if (t.isNumericLiteral(node)) return { kind: 'number', value: node.value };
  if (t.isTemplateLiteral(node) && node.expressions.length === 0)
    return { kind: 'string', value: node.quasis[0]!.value.cooked ?? node.quasis[0]!.value.raw };
  return undefined;
}

/** The Babel plugin's view of member chains for instrument-core's `memberChain`. */
function chainSyntax(pass: FilePass): ChainSyntax<NodePath, Expr> {
  const t = pass.t;
  return {
    unwrap,
    trackedRoot: (path) => (path.isIdentifier() ? rootNameOf(pass, path.scope, path.node.name) : undefined),
    member: (path) => {
      if (!path.isMemberExpression() && !path.isOptionalMemberExpression()) return undefined;
      const node = path.node as BabelTypes.MemberExpression | BabelTypes.OptionalMemberExpression;
      return {
        object: path.get('object') as NodePath,
        key: keySyntaxOf(pass, node),
        optional: Boolean((node as BabelTypes.OptionalMemberExpression).optional),
      };
    },
    trackedPrivateOwner: (path, name) => privateClassName(pass, path, name),
    expr: (path) => path.node as Expr,
    isThis: (path) => t.isThisExpression(path.node),
  };
}

/** The tracked chain an expression path denotes (through TS-only wrappers), or undefined. */
export function chainOf(pass: FilePass, input: NodePath): Chain<Expr> | undefined {
  return memberChain(chainSyntax(pass), input);
}

/** A default value inside a function's parameter list (also nested in a destructured parameter). */
export function isParameterDefault(path: NodePath): boolean {
  return (
    path.findParent((p) => p.listKey === 'params' && Boolean(p.parentPath?.isFunction())) !== null ||
    (path.listKey === 'params' && Boolean(path.parentPath?.isFunction()))
  );
}

/** Where `child` (looked at through wrappers) sits in `parent`, for the shared rule of `consumedByParent`. */
function positionIn(parent: NodePath, child: BabelTypes.Node): ChainPosition {
  const p = parent.node;
  switch (p.type) {
    case 'MemberExpression':
    case 'OptionalMemberExpression':
      return p.object === child ? 'member-object' : 'other';
    case 'CallExpression':
    case 'OptionalCallExpression':
      return p.callee === child ? 'callee' : 'other';
    case 'TaggedTemplateExpression':
      return p.tag === child ? 'template-tag' : 'other';
    case 'AssignmentExpression':
      return p.left === child ? 'assignment-target' : 'other';
    case 'UpdateExpression':
      return 'update-operand';
    case 'UnaryExpression':
      return p.operator === 'delete' ? 'delete-operand' : 'other';
    case 'BinaryExpression':
      return p.operator === 'in' && p.right === child ? 'in-right' : 'other';
    case 'ExportSpecifier':
      return 'export-specifier';
    case 'ForInStatement':
    case 'ForOfStatement':
      return p.left === child ? 'loop-head' : 'other';
    case 'ArrayPattern':
    case 'RestElement':
      return 'pattern-target';
    case 'AssignmentPattern':
      return p.left === child ? 'pattern-target' : 'other';
    case 'ObjectProperty':
      return p.value === child && parent.parentPath?.isObjectPattern() === true ? 'pattern-target' : 'other';
    default:
      return 'other';
  }
}

/** True when `path` is consumed by an enclosing construct that handles the whole chain itself. */
export function handledByParent(path: NodePath): boolean {
  let child = path;
  let parent = path.parentPath;
  while (parent && TS_WRAPPERS.has(parent.node.type)) {
    child = parent;
    parent = parent.parentPath;
  }
  if (!parent) return false;
  const inner = unwrap(child).node;
  const isMember = inner.type === 'MemberExpression' || inner.type === 'OptionalMemberExpression';
  return consumedByParent(positionIn(parent, child.node), isMember);
}

export function staticOrDynamicKey(
  pass: FilePass,
  member: BabelTypes.MemberExpression | BabelTypes.OptionalMemberExpression,
): MemberKey<Expr> {
  return memberKeyOf(keySyntaxOf(pass, member));
}

export function patternHasTracked(pass: FilePass, pattern: NodePath): boolean {
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
export function uninitialisedFieldAssigned(
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

function propertyKey(pass: FilePass, key: BabelTypes.Node, computed: boolean): KeySyntax<unknown> {
  const t = pass.t;
  if (t.isPrivateName(key)) return { kind: 'private', name: `#${key.id.name}` };
  if (!computed && t.isIdentifier(key)) return { kind: 'name', name: key.name };
  return literalKey(pass, key) ?? { kind: 'computed', expr: key };
}

/** Where a function is written, for instrument-core's naming rules, and the node its location points at. */
function functionSite(
  pass: FilePass,
  path: NodePath<BabelTypes.Function>,
): { site: FunctionSite; at: BabelTypes.Node } {
  const t = pass.t;
  const node = path.node;
  if (t.isClassMethod(node) || t.isClassPrivateMethod(node)) {
    const classPath = path.parentPath!.parentPath!;
    const cls = classPath.node as BabelTypes.Class;
    const holder = classPath.parentPath;
    const className =
      cls.id?.name ??
      (holder?.isVariableDeclarator() && t.isIdentifier(holder.node.id) ? holder.node.id.name : ANONYMOUS_CLASS);
    const computed = t.isClassMethod(node) && node.computed;
    return { site: { kind: 'class-member', className, key: propertyKey(pass, node.key, computed) }, at: node.key };
  }
  if (t.isObjectMethod(node) || (path.parentPath?.isObjectProperty() && path.parentPath.node.value === node)) {
    const member = (t.isObjectMethod(node) ? node : path.parentPath!.node) as
      BabelTypes.ObjectMethod | BabelTypes.ObjectProperty;
    const objectPath = t.isObjectMethod(node) ? path.parentPath : path.parentPath!.parentPath;
    const holder = objectPath?.parentPath;
    return {
      site: {
        kind: 'object-member',
        holder: holder?.isVariableDeclarator() && t.isIdentifier(holder.node.id) ? holder.node.id.name : undefined,
        key: propertyKey(pass, member.key, member.computed),
      },
      at: t.isObjectMethod(node) ? node.key : node,
    };
  }
  if ((t.isFunctionDeclaration(node) || t.isFunctionExpression(node)) && node.id)
    return { site: { kind: 'named', name: node.id.name }, at: node.id };
  const parent = path.parentPath;
  if (parent?.isVariableDeclarator() && t.isIdentifier(parent.node.id))
    return { site: { kind: 'variable', name: parent.node.id.name }, at: node };
  if (
    parent?.isAssignmentExpression() &&
    t.isMemberExpression(parent.node.left) &&
    !parent.node.left.computed &&
    t.isIdentifier(parent.node.left.property)
  )
    return { site: { kind: 'member-assignment', property: parent.node.left.property.name }, at: node };
  return { site: { kind: 'anonymous' }, at: node };
}

export function functionName(
  pass: FilePass,
  path: NodePath<BabelTypes.Function>,
): { name: string; at: BabelTypes.Node } {
  const { site, at } = functionSite(pass, path);
  return { name: functionNameOf(site), at };
}
