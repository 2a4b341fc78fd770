import { DEFAULT_RUNTIME_MODULE } from './entry.js';

export type TrackArgs = 'summary' | 'none' | 'full';

/** Options of both instrumenters (same names in tsconfig `plugins` and in Babel `plugins`). */
export interface InstrumentOptions {
  /** Globs (relative to `root`) of files to instrument; default all. */
  include?: string[];
  /** Globs of files to leave alone; default `**\/node_modules/**`. */
  exclude?: string[];
  /** Module name in function-call events; default the file's path without extension. */
  module?: string;
  /** Where emitted code imports the runtime entry from. */
  runtimeModule?: string;
  /** Arguments recorded on traced calls: a bounded summary (default), none, or full values. */
  trackArgs?: TrackArgs;
  /** Project root: locations are relative to it. Default: tsconfig's folder, Babel's `root`/`cwd`. */
  root?: string;
}

export interface ResolvedInstrumentOptions {
  include: string[];
  exclude: string[];
  module: string | undefined;
  runtimeModule: string;
  trackArgs: TrackArgs;
  root: string | undefined;
}

/** Invalid options: reported as a build error by the host. */
export class InstrumentOptionsError extends Error {
  readonly code = 'RW_OPTIONS';
}

const schema: Record<keyof InstrumentOptions, (v: unknown) => boolean> = {
  include: (v) => Array.isArray(v) && v.every((s) => typeof s === 'string'),
  exclude: (v) => Array.isArray(v) && v.every((s) => typeof s === 'string'),
  module: (v) => typeof v === 'string' && v.length > 0,
  runtimeModule: (v) => typeof v === 'string' && v.length > 0,
  trackArgs: (v) => v === 'summary' || v === 'none' || v === 'full',
  root: (v) => typeof v === 'string',
};

const expected: Record<keyof InstrumentOptions, string> = {
  include: 'an array of glob strings',
  exclude: 'an array of glob strings',
  module: 'a non-empty string',
  runtimeModule: 'a non-empty string',
  trackArgs: "'summary', 'none' or 'full'",
  root: 'a path string',
};

/** Keys the hosts themselves put into the options object (ts-patch's `transform`, etc.). */
const HOST_KEYS = new Set([
  'transform',
  'import',
  'type',
  'after',
  'afterDeclarations',
  'transformProgram',
  'name',
  'resolvePathAliases',
]);

export function resolveInstrumentOptions(raw: unknown): ResolvedInstrumentOptions {
  const options = (raw ?? {}) as Record<string, unknown>;
  if (typeof options !== 'object' || Array.isArray(options))
    throw new InstrumentOptionsError('raceway: options must be an object');
  for (const [key, value] of Object.entries(options)) {
    if (HOST_KEYS.has(key)) continue;
    const check = schema[key as keyof InstrumentOptions];
    if (!check)
      throw new InstrumentOptionsError(`raceway: unknown option "${key}" (known: ${Object.keys(schema).join(', ')})`);
    if (value !== undefined && !check(value)) {
      throw new InstrumentOptionsError(
        `raceway: option "${key}" must be ${expected[key as keyof InstrumentOptions]}, got ${JSON.stringify(value)}`,
      );
    }
  }
  return {
    include: (options.include as string[] | undefined) ?? ['**/*'],
    exclude: (options.exclude as string[] | undefined) ?? ['**/node_modules/**'],
    module: options.module as string | undefined,
    runtimeModule: (options.runtimeModule as string | undefined) ?? DEFAULT_RUNTIME_MODULE,
    trackArgs: (options.trackArgs as TrackArgs | undefined) ?? 'summary',
    root: options.root as string | undefined,
  };
}
