/**
 * Annotation hints as written in source comments: `/** @tracked *\/`, `/* @tracked *\/` or `// @tracked`
 * (and the same for `@traced`). Both hosts and `raceway annotate --check` read hints through this module,
 * so a comment counts the same everywhere. tsc no longer parses JSDoc in .ts files, so comment text is the
 * only reliable source.
 */
export type Hint = 'tracked' | 'traced';

const TAG = /(?:^|[\s*/])@(tracked|traced)\b/g;
const COMMENT_START = /^(?:\/\*|\/\/)/;

/** Whether a file's text could hold a hint at all (a cheap test before parsing anything). */
export function mayHoldHints(text: string): boolean {
  return /@trac(?:ked|ed)\b/.test(text);
}

/** The hints named in a comment's text, delimiters included (`/** ... *\/`, `/* ... *\/`, `// ...`). */
export function hintsInComment(text: string): Set<Hint> {
  const found = new Set<Hint>();
  // Only comments carry hints; a tag inside a string does not count.
  if (!COMMENT_START.test(text)) return found;
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

/** A tag in a comment that is almost a hint (a typo): where it is in the file, what it says, what it meant. */
export interface HintNearMiss {
  offset: number;
  found: string;
  meant: Hint;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

const COMMENTS = /\/\*[\s\S]*?\*\/|\/\/[^\n\r]*/g;
const ANY_TAG = /@([A-Za-z][\w-]*)/g;

/**
 * Tags in comments that look like a hint but are not one — `@trackd`, `@Tracked`, `@trace`, `@tracked-state` —
 * so the build can say so instead of silently leaving the code untracked.
 */
export function hintNearMisses(text: string): HintNearMiss[] {
  const out: HintNearMiss[] = [];
  if (!/@[Tt][Rr][Aa]/.test(text)) return out;
  for (const comment of text.matchAll(COMMENTS)) {
    for (const tag of comment[0].matchAll(ANY_TAG)) {
      const found = tag[1]!;
      if (found === 'tracked' || found === 'traced') continue;
      const word = found.toLowerCase();
      if (!word.startsWith('tra')) continue;
      const toTracked = distance(word, 'tracked');
      const toTraced = distance(word, 'traced');
      if (Math.min(toTracked, toTraced) > 2 && !/^(tracked|traced)[-_]/.test(word)) continue;
      out.push({
        offset: comment.index! + tag.index!,
        found: `@${found}`,
        meant: toTracked <= toTraced ? 'tracked' : 'traced',
      });
    }
  }
  return out;
}
