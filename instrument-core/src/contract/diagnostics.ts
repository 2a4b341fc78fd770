/**
 * Misuse becomes a build diagnostic with a stable code; the node is left as it was.
 * The same codes are reported by the transformer (as TypeScript diagnostics) and the Babel plugin
 * (as warnings on the file).
 */
export const Diagnostics = {
  RW1001: '@tracked applies to let/const/var declarations, imports and class fields; this node is left untracked',
  RW1002: '@traced applies to functions, methods and arrow functions; this node is left untraced',
  RW1003: 'a tracked binding is a target of a for-in/for-of head; those writes are not recorded',
  RW1004: '@tracked on a class accessor or method is not supported; use it on a field',
  RW1005: 'a comment tag looks like a Raceway hint but is not one, so nothing here is instrumented',
} as const;

export type DiagnosticCode = keyof typeof Diagnostics;

export interface InstrumentDiagnostic {
  code: DiagnosticCode;
  message: string;
  file: string;
  line: number;
  column: number;
}

export function diagnostic(
  code: DiagnosticCode,
  file: string,
  line: number,
  column: number,
  detail?: string,
): InstrumentDiagnostic {
  return { code, message: `raceway ${code}: ${Diagnostics[code]}${detail ? ` (${detail})` : ''}`, file, line, column };
}

/** Line and column (1-based) of `offset` in `text`. */
export function positionOf(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, column: offset - start + 1 };
}

/** RW1005 for each near miss in a file's text (both hosts report them the same way). */
export function nearMissDiagnostics(
  misses: ReadonlyArray<{ offset: number; found: string; meant: string }>,
  text: string,
  file: string,
): InstrumentDiagnostic[] {
  return misses.map((m) => {
    const { line, column } = positionOf(text, m.offset);
    return diagnostic('RW1005', file, line, column, `${m.found}: did you mean @${m.meant}?`);
  });
}
