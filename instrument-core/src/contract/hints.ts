/**
 * Annotation hints as written in source comments: `/** @tracked *\/` and `/** @traced *\/`.
 * Both hosts hand the raw leading comments of a node to this parser (tsc no longer parses JSDoc in .ts
 * files, so comment text is the only reliable source).
 */
export type Hint = 'tracked' | 'traced';

const TAG = /(?:^|[\s*])@(tracked|traced)\b/g;

/** The hints named in a comment's text (`/** ... *\/` or `// ...`). */
export function hintsInComment(text: string): Set<Hint> {
  const found = new Set<Hint>();
  // Only doc-style block comments and line comments carry hints; a tag inside a string does not count.
  if (!text.startsWith('/**') && !text.startsWith('//')) return found;
  for (const m of text.matchAll(TAG)) found.add(m[1] as Hint);
  return found;
}

export function hintsInComments(texts: readonly string[]): Set<Hint> {
  const all = new Set<Hint>();
  for (const t of texts) for (const h of hintsInComment(t)) all.add(h);
  return all;
}

/** Decorator names that mean the same as the hints (`@tracked`, `@traced`, or a namespaced `@raceway.traced`). */
export function hintOfDecorator(calleeText: string): Hint | undefined {
  const name = calleeText.split('.').pop();
  return name === 'tracked' || name === 'traced' ? name : undefined;
}
