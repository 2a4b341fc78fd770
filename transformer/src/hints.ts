// Hints as TypeScript presents them: comments before a node (read from the source text, since tsc skips
// JSDoc parsing) and `@tracked` / `@traced` decorators.
import type { Hint } from '@raceway/instrument-core';
import { hintOfDecorator, hintsInComments } from '@raceway/instrument-core';
import type * as TS from 'typescript';
import type { FileState } from './file-state.js';

export function hintsAt(s: FileState, node: TS.Node): Set<Hint> {
  // A comment on the same line as the previous token counts as that token's trailing comment for
  // TypeScript (`const f = /** @traced */ () => {}`); both kinds before the node are its hints.
  const ranges = [
    ...(s.ts.getTrailingCommentRanges(s.sf.text, node.pos) ?? []),
    ...(s.ts.getLeadingCommentRanges(s.sf.text, node.pos) ?? []),
  ];
  return hintsInComments(ranges.map((r) => s.sf.text.slice(r.pos, r.end)));
}

export function decoratorHints(
  s: FileState,
  node: TS.HasModifiers,
): { hints: Set<Hint>; rest: TS.ModifierLike[] | undefined } {
  const ts = s.ts;
  const hints = new Set<Hint>();
  const mods = node.modifiers;
  if (!mods) return { hints, rest: undefined };
  const rest = mods.filter((m) => {
    if (!ts.isDecorator(m)) return true;
    const e = m.expression;
    const text = ts.isIdentifier(e) ? e.text : ts.isPropertyAccessExpression(e) ? e.name.text : '';
    const hint = hintOfDecorator(text);
    if (hint) hints.add(hint);
    return !hint;
  });
  return { hints, rest };
}

export function isTracedFunction(s: FileState, node: TS.Node): boolean {
  const ts = s.ts;
  if (!ts.isFunctionLike(node) || !('body' in node) || !node.body) return false;
  if (ts.isMethodDeclaration(node) && decoratorHints(s, node).hints.has('traced')) return true;
  if (hintsAt(s, node).has('traced')) return true;
  const p = node.parent;
  // `{ /** @traced */ key: () => {} }`: the comment belongs to the property.
  if (
    (ts.isFunctionExpression(node) || ts.isArrowFunction(node)) &&
    p &&
    ts.isPropertyAssignment(p) &&
    p.initializer === node
  )
    return hintsAt(s, p).has('traced');
  if (
    (ts.isFunctionExpression(node) || ts.isArrowFunction(node)) &&
    p &&
    ts.isVariableDeclaration(p) &&
    p.initializer === node
  ) {
    const list = p.parent;
    if (ts.isVariableDeclarationList(list) && list.declarations.length === 1 && ts.isVariableStatement(list.parent))
      return hintsAt(s, list.parent).has('traced');
  }
  return false;
}

export function hasModifier(ts: typeof TS, node: TS.Node, kind: TS.SyntaxKind): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === kind);
}
