// Recognising tracked expressions in Babel's AST: tracked bindings, member chains, #private fields, the
// contexts that rewrite a node themselves, and the names of functions.
import type { types as BabelTypes, NodePath } from '@babel/core';
import type { Chain, MemberKey, RootName } from '@raceway/instrument-core';
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
export function chainOf(pass: FilePass, input: NodePath): Chain<Expr> | undefined {
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
export function isParameterDefault(path: NodePath): boolean {
  return (
    path.findParent((p) => p.listKey === 'params' && Boolean(p.parentPath?.isFunction())) !== null ||
    (path.listKey === 'params' && Boolean(path.parentPath?.isFunction()))
  );
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

export function staticOrDynamicKey(
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

export function functionName(
  pass: FilePass,
  path: NodePath<BabelTypes.Function>,
): { name: string; at: BabelTypes.Node } {
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
