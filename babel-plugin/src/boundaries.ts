// Segment boundaries: after each await, for-await step or yield in a function that touches tracked state.
import type { NodePath } from '@babel/core';
import { Entry } from '@raceway/instrument-core';
import type { Expr, FilePass } from './file-state.js';

/** After an await or yield in a function that touches tracked state, a new segment begins. */
export function markBoundaries(pass: FilePass): void {
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
        // `resume(await gate(x))`: a new segment after the await, and a point where exploration may hold the unit.
        const node = path.node;
        if (t.isAwaitExpression(node))
          node.argument = b.entry(Entry.gate, [node.argument as Expr]) as typeof node.argument;
        const wrapped = b.entry(Entry.resume, [node as Expr]);
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
