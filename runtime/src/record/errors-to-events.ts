/** An thrown value → the wire `Error` payload. Never throws, whatever was thrown. */
export function describeError(error: unknown): { error_type: string; message: string; stack_trace: string[] } {
  try {
    if (error instanceof Error) {
      const stack =
        typeof error.stack === 'string'
          ? error.stack
              .split('\n')
              .slice(1, 21)
              .map((l) => l.trim())
          : [];
      return { error_type: error.name || 'Error', message: String(error.message).slice(0, 2048), stack_trace: stack };
    }
    return { error_type: typeof error, message: String(error).slice(0, 2048), stack_trace: [] };
  } catch {
    return { error_type: 'unknown', message: '[unprintable thrown value]', stack_trace: [] };
  }
}
