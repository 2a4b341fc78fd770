import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The module format Node gives a file: by extension, else by the nearest package.json's `type`. */
export function formatOf(filename: string): 'module' | 'commonjs' {
  if (/\.m[jt]s$/.test(filename)) return 'module';
  if (/\.c[jt]s$/.test(filename)) return 'commonjs';
  return packageType(path.dirname(filename));
}

const typeByDir = new Map<string, 'module' | 'commonjs'>();

function packageType(dir: string): 'module' | 'commonjs' {
  const known = typeByDir.get(dir);
  if (known) return known;
  let type: 'module' | 'commonjs' = 'commonjs';
  try {
    const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { type?: unknown };
    type = pkg.type === 'module' ? 'module' : 'commonjs';
  } catch (error) {
    const parent = path.dirname(dir);
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && parent !== dir) type = packageType(parent);
  }
  typeByDir.set(dir, type);
  return type;
}

/** TypeScript sources: always compiled (their types must go). */
export const isTypeScript = (filename: string) => /\.[cm]?tsx?$/.test(filename) && !filename.endsWith('.d.ts');
/** JavaScript sources: compiled only when they may hold annotations. */
export const isJavaScript = (filename: string) => /\.[cm]?jsx?$/.test(filename);
