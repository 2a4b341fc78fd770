import type * as TS from 'typescript';

/**
 * Annotates a source file the way a heavy user would: every variable statement and class field `@tracked`, every
 * function and method with a body `@traced` (a variable statement whose initialisers are all functions counts as a
 * function). Hints go in as block comments right before the declaration, where both instrumenters read them.
 */
export function annotateEverything(
  ts: typeof TS,
  fileName: string,
  text: string,
): { text: string; tracked: number; traced: number } {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const inserts: Array<{ at: number; hint: string }> = [];
  const isFunction = (e: TS.Expression | undefined) =>
    e !== undefined && (ts.isArrowFunction(e) || ts.isFunctionExpression(e));
  const visit = (node: TS.Node) => {
    if (ts.isVariableStatement(node)) {
      const functions = node.declarationList.declarations.every((d) => isFunction(d.initializer));
      inserts.push({ at: node.getStart(sf), hint: functions ? 'traced' : 'tracked' });
    } else if (ts.isFunctionDeclaration(node) && node.body) {
      inserts.push({ at: node.getStart(sf), hint: 'traced' });
    } else if (ts.isPropertyDeclaration(node) && ts.isClassLike(node.parent)) {
      inserts.push({ at: node.getStart(sf), hint: 'tracked' });
    } else if (ts.isMethodDeclaration(node) && node.body) {
      inserts.push({ at: node.getStart(sf), hint: 'traced' });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  let out = text;
  for (const { at, hint } of [...inserts].sort((a, b) => b.at - a.at))
    out = `${out.slice(0, at)}/** @${hint} */ ${out.slice(at)}`;
  return {
    text: out,
    tracked: inserts.filter((i) => i.hint === 'tracked').length,
    traced: inserts.filter((i) => i.hint === 'traced').length,
  };
}
