/**
 * Raceway instrumentation as a bundler plugin (unplugin: Vite, Rollup, Rolldown, esbuild, webpack, Rspack),
 * for services that are bundled: Vite SSR, NestJS through webpack, esbuild-bundled functions. Each module
 * that may hold annotations is instrumented by the Babel plugin before the bundler strips its types
 * (`enforce: 'pre'`): TypeScript stays TypeScript, with a source map, and the bundler compiles it as usual.
 */
import path from 'node:path';
import * as babel from '@babel/core';
import racewayBabelPlugin from '@raceway/babel-plugin';
import { mayHoldHints } from '@raceway/instrument-core';
import type { InstrumentOptions } from '@raceway/instrument-core';
import { createUnplugin } from 'unplugin';

const SOURCE = /\.[cm]?[jt]sx?$/;

export const raceway = createUnplugin((options: InstrumentOptions = {}) => {
  const root = path.resolve(options.root ?? process.cwd());
  return {
    name: '@raceway/unplugin',
    enforce: 'pre',
    transformInclude(id: string) {
      const file = id.split('?')[0]!;
      return SOURCE.test(file) && !file.split(/[\\/]/).includes('node_modules');
    },
    transform(code: string, id: string) {
      if (!mayHoldHints(code)) return undefined;
      const filename = id.split('?')[0]!;
      const typescript = /\.[cm]?tsx?$/.test(filename);
      const jsx = /x$/.test(filename);
      const result = babel.transformSync(code, {
        filename,
        babelrc: false,
        configFile: false,
        sourceMaps: true,
        // Parse TypeScript and keep it: the bundler strips the types after this plugin ran.
        parserOpts: { plugins: [...(typescript ? (['typescript'] as const) : []), ...(jsx ? (['jsx'] as const) : [])] },
        plugins: [[racewayBabelPlugin, { ...options, root }]],
      });
      if (!result?.code) return undefined;
      return { code: result.code, map: result.map as never };
    },
  };
});

export default raceway;
