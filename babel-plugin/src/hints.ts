import type { NodePath, types as BabelTypes } from '@babel/core';
import type { Hint } from '@raceway/instrument-core';
import { hintOfDecorator, hintsInComments } from '@raceway/instrument-core';

type Node = BabelTypes.Node;

function commentsOf(node: Node | null | undefined): string[] {
  return (node?.leadingComments ?? []).map((c) => (c.type === 'CommentBlock' ? `/*${c.value}*/` : `//${c.value}`));
}

/** Hints in the comments before a node, or before the export/declaration that contains it. */
export function hintsOf(path: NodePath): Set<Hint> {
  const texts = commentsOf(path.node);
  const parent = path.parentPath;
  if (parent && (parent.isExportNamedDeclaration() || parent.isExportDefaultDeclaration()))
    texts.push(...commentsOf(parent.node));
  return hintsInComments(texts);
}

/** Hints of a function expression: its own comments, else those of the declaration it initialises. */
export function functionHints(path: NodePath): Set<Hint> {
  const own = hintsOf(path);
  if (own.size > 0) return own;
  const declarator = path.parentPath;
  // `{ /** @traced */ key: () => {} }`: the comment belongs to the property.
  if (declarator?.isObjectProperty() && declarator.node.value === path.node) return hintsOf(declarator);
  if (declarator?.isVariableDeclarator() && declarator.node.init === path.node) {
    const declaration = declarator.parentPath!;
    if (declaration.node && (declaration.node as BabelTypes.VariableDeclaration).declarations.length === 1)
      return hintsOf(declaration);
  }
  return own;
}

/** Removes `@tracked` / `@traced` decorators from a class member; returns the hints they named. */
export function takeDecoratorHints(
  t: typeof BabelTypes,
  node: { decorators?: BabelTypes.Decorator[] | null },
): Set<Hint> {
  const found = new Set<Hint>();
  if (!node.decorators) return found;
  node.decorators = node.decorators.filter((d) => {
    const expr = d.expression;
    const text = t.isIdentifier(expr)
      ? expr.name
      : t.isMemberExpression(expr) && t.isIdentifier(expr.property)
        ? expr.property.name
        : '';
    const hint = hintOfDecorator(text);
    if (hint) found.add(hint);
    return !hint;
  });
  if (node.decorators.length === 0) node.decorators = null;
  return found;
}
