import path from 'node:path';
import type { PluginObj, types as BabelTypes } from '@babel/core';
import { FileScope, resolveInstrumentOptions } from '@raceway/instrument-core';
import type { InstrumentOptions } from '@raceway/instrument-core';
import { instrumentProgram } from './instrument-file.js';

interface BabelApi {
  types: typeof BabelTypes;
  assertVersion(range: number | string): void;
  version: string;
}

/**
 * `plugins: ['@raceway/babel-plugin']` (Babel 7 or 8). Runs its whole pass when the program is entered,
 * before any other plugin or preset has changed the tree, so it sees the source as written.
 */
export default function racewayBabelPlugin(api: BabelApi, rawOptions: InstrumentOptions = {}): PluginObj {
  api.assertVersion('^7.0.0 || ^8.0.0');
  const options = resolveInstrumentOptions(rawOptions);
  const t = api.types;
  return {
    name: '@raceway/babel-plugin',
    manipulateOptions(_opts: unknown, parserOpts: { plugins: unknown[] }) {
      // `@tracked` / `@traced` on class members must parse even without a decorators plugin configured.
      const names = parserOpts.plugins.map((p) => (Array.isArray(p) ? p[0] : p));
      if (!names.includes('decorators') && !names.includes('decorators-legacy'))
        parserOpts.plugins.push('decorators-legacy');
    },
    visitor: {
      Program(program, state) {
        const file = state.filename ?? 'unknown.js';
        const root =
          options.root ??
          (state.file.opts.root as string | undefined) ??
          (state.file.opts.cwd as string | undefined) ??
          process.cwd();
        const scope = new FileScope(options, path.resolve(root));
        const result = instrumentProgram(t, program, file, state.file.code, scope, options);
        for (const d of result.diagnostics) {
          // Babel has no warning channel of its own: diagnostics go to stderr, once per occurrence.
          process.stderr.write(`${d.file}:${d.line}:${d.column} ${d.message}\n`);
        }
      },
    },
  };
}
