/**
 * The one place the SDK reports its own trouble (collector unreachable, batch rejected, queue full).
 * Each diagnostic code is reported once per process so a broken collector cannot flood the app's logs;
 * the handler itself is guarded so that reporting can never throw into the application.
 */
export type DiagnosticHandler = (code: string, message: string) => void;

const reported = new Set<string>();

let handler: DiagnosticHandler = (code, message) => {
  if (process.env.RACEWAY_LOG === 'silent') return;
  process.stderr.write(`[raceway] ${code}: ${message}\n`);
};

export function setDiagnosticHandler(next: DiagnosticHandler): void {
  handler = next;
}

export function reportOnce(code: string, message: string): void {
  if (reported.has(code)) return;
  reported.add(code);
  try {
    handler(code, message);
  } catch {
    // A failing handler must not reach the application.
  }
}

/** For tests: forget which codes were reported. */
export function resetDiagnostics(): void {
  reported.clear();
}
