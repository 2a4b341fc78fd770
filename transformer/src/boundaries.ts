// Segment boundaries: after each await, for-await step or yield in a function that touches tracked state.
import type * as TS from 'typescript';
import type { FileState } from './file-state.js';
import { isTracedFunction } from './hints.js';
import { isReference, trackedName, trackedPrivate } from './recognise.js';

/** Functions (and the file itself) in which awaits and yields become segment boundaries. */
export function markBoundaryScopes(s: FileState): void {
  const ts = s.ts;
  const scopeOf = (node: TS.Node): TS.Node =>
    ts.findAncestor(node.parent, (n) => ts.isFunctionLike(n) && 'body' in n) ?? s.sf;
  const visit = (node: TS.Node): void => {
    if (ts.isIdentifier(node) && isReference(ts, node) && trackedName(s, node) !== undefined)
      s.needsBoundaries.add(scopeOf(node));
    if (ts.isPrivateIdentifier(node) && trackedPrivate(s, node)) s.needsBoundaries.add(scopeOf(node));
    if (isTracedFunction(s, node)) s.needsBoundaries.add(node);
    ts.forEachChild(node, visit);
  };
  visit(s.sf);
}

export function needsBoundary(s: FileState, original: TS.Node): boolean {
  const ts = s.ts;
  const scope = ts.findAncestor(original.parent, (n) => ts.isFunctionLike(n) && 'body' in n) ?? s.sf;
  return s.needsBoundaries.has(scope);
}
