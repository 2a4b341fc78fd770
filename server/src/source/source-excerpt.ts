import { openSync, readSync, closeSync, fstatSync, realpathSync } from 'node:fs';
import path from 'node:path';

/** One line of an excerpt; `here` marks the line the location names. */
export interface SourceLine {
  line: number;
  text: string;
  here: boolean;
}

/**
 * Files whose lines may be shown next to a race: source code of the languages Raceway SDKs exist for.
 * Anything else under the root (`.env`, keys, databases, logs) is never read, whatever a location says.
 */
const SOURCE_EXTENSIONS = new Set([
  '.ts',
  '.tsx',
  '.mts',
  '.cts',
  '.js',
  '.jsx',
  '.mjs',
  '.cjs',
  '.vue',
  '.svelte',
  '.py',
  '.go',
  '.rs',
  '.java',
  '.kt',
  '.rb',
  '.cs',
  '.php',
  '.c',
  '.cc',
  '.cpp',
  '.h',
  '.hpp',
  '.swift',
  '.scala',
]);

/** Larger files are not source a person reads around a line. */
const MAX_FILE_BYTES = 4 * 1024 * 1024;
const CONTEXT_LINES = 2;

/** `path:line:col` or `path:line` (the form some SDKs send). */
const LOCATION = /^(.+?):(\d+)(?::(\d+))?$/;

const hidden = (relative: string) => relative.split(/[\\/]/).some((part) => part.startsWith('.'));

/**
 * Resolves a location's file to a path that may be read: a regular file inside `root` after symlinks are
 * resolved, with a source-code extension, with no dot-named file or folder on its way from the root
 * (before or after resolving links). undefined for everything else.
 */
export function containedSourceFile(file: string, root: string): string | undefined {
  let realRoot: string;
  let real: string;
  try {
    realRoot = realpathSync(root);
    real = realpathSync(path.resolve(realRoot, file));
  } catch {
    return undefined;
  }
  // Containment is decided on the resolved path; a dot-named part is refused on either spelling, so a
  // link named `src/config.ts` pointing at `.env` is refused like `.env` itself.
  const resolved = path.relative(realRoot, real);
  if (resolved === '' || resolved.startsWith('..') || path.isAbsolute(resolved) || hidden(resolved)) return undefined;
  for (const base of [path.resolve(root), realRoot]) {
    const asGiven = path.relative(base, path.resolve(base, file));
    if (!asGiven.startsWith('..') && !path.isAbsolute(asGiven) && hidden(asGiven)) return undefined;
  }
  if (!SOURCE_EXTENSIONS.has(path.extname(real).toLowerCase())) return undefined;
  return real;
}

/** Reads a contained file, or undefined when it is not a regular file of reasonable size. */
function readContained(file: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const stat = fstatSync(fd); // of what was opened, so a swap after the checks cannot widen what is read
    if (!stat.isFile() || stat.size > MAX_FILE_BYTES) return undefined;
    const buffer = Buffer.alloc(stat.size);
    let at = 0;
    while (at < buffer.length) {
      const n = readSync(fd, buffer, at, buffer.length - at, at);
      if (n === 0) break;
      at += n;
    }
    return buffer.subarray(0, at).toString('utf8');
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The lines around a race location, read only under the containment rule above; undefined when none. */
export function sourceExcerpt(location: string, root: string | undefined): SourceLine[] | undefined {
  if (!root) return undefined;
  const m = LOCATION.exec(location);
  if (!m) return undefined;
  const file = containedSourceFile(m[1]!, root);
  if (!file) return undefined;
  const text = readContained(file);
  if (text === undefined) return undefined;
  const lines = text.split('\n');
  const line = Number(m[2]);
  if (!Number.isSafeInteger(line) || line < 1 || line > lines.length) return undefined;
  const out: SourceLine[] = [];
  for (let n = Math.max(1, line - CONTEXT_LINES); n <= Math.min(lines.length, line + CONTEXT_LINES); n++) {
    out.push({ line: n, text: lines[n - 1]!.replace(/\r$/, ''), here: n === line });
  }
  return out;
}
