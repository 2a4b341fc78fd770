import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as babel from '@babel/core';
import racewayBabelPlugin from '@raceway/babel-plugin';

const require = createRequire(import.meta.url);

/** A TypeScript program instrumented by the Babel plugin (locations relative to `root`), as ESM JavaScript. */
export function withBabel(file: string, root: string): string {
  return babel.transformSync(readFileSync(file, 'utf8'), {
    filename: file,
    babelrc: false,
    configFile: false,
    presets: [[require.resolve('@babel/preset-typescript'), {}]],
    plugins: [[racewayBabelPlugin, { root }]],
  })!.code!;
}
