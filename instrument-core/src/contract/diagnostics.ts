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
} as const;

export type DiagnosticCode = keyof typeof Diagnostics;

export interface InstrumentDiagnostic {
  code: DiagnosticCode;
  message: string;
  file: string;
  line: number;
  column: number;
}

export function diagnostic(code: DiagnosticCode, file: string, line: number, column: number): InstrumentDiagnostic {
  return { code, message: `raceway ${code}: ${Diagnostics[code]}`, file, line, column };
}
