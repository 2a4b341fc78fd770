import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import * as babel from '@babel/core';
import racewayBabelPlugin from '@raceway/babel-plugin';
import { mayHoldHints } from '@raceway/instrument-core';
import { isJavaScript, isTypeScript } from './module-format.js';

const require = createRequire(import.meta.url);
const VERSION: string = (require('../package.json') as { version: string }).version;

/**
 * One file as Node will run it: types stripped (TypeScript), annotations instrumented by the Babel plugin
 * (the rules every build path shares), ES module syntax turned into CommonJS when the file is loaded as
 * CommonJS, with an inline source map. Results are cached by content hash, so a file is compiled once until
 * it changes. Returns undefined for a file that needs nothing (JavaScript without annotations, dependencies).
 */
export function compile(filename: string, source: string, format: 'module' | 'commonjs'): string | undefined {
  const ts = isTypeScript(filename);
  if (!ts && !(isJavaScript(filename) && mayHoldHints(source))) return undefined;
  if (!ts && filename.split(path.sep).includes('node_modules')) return undefined;
  const root = process.env.RACEWAY_ROOT ?? process.cwd();
  const key = createHash('sha256').update(`${VERSION}\0${format}\0${root}\0${filename}\0${source}`).digest('hex');
  const cached = readCache(key);
  if (cached !== undefined) return cached;
  const plugins: babel.PluginItem[] = [[racewayBabelPlugin, { root }]];
  if (format === 'commonjs') plugins.push(require.resolve('@babel/plugin-transform-modules-commonjs'));
  const result = babel.transformSync(source, {
    filename,
    babelrc: false,
    configFile: false,
    sourceMaps: 'inline',
    sourceType: format === 'module' ? 'module' : 'unambiguous',
    presets: ts
      ? [[require.resolve('@babel/preset-typescript'), { allowDeclareFields: true, onlyRemoveTypeImports: true }]]
      : [],
    plugins,
  });
  const code = result?.code ?? source;
  writeCache(key, code);
  return code;
}

const cacheDir = () => process.env.RACEWAY_REGISTER_CACHE ?? path.join(os.tmpdir(), 'raceway-register');

function readCache(key: string): string | undefined {
  try {
    return readFileSync(path.join(cacheDir(), `${key}.js`), 'utf8');
  } catch {
    return undefined;
  }
}

function writeCache(key: string, code: string): void {
  try {
    const dir = cacheDir();
    mkdirSync(dir, { recursive: true });
    // Written aside, then renamed: two processes compiling one file never read half a result.
    const temp = path.join(dir, `${key}.${process.pid}.tmp`);
    writeFileSync(temp, code);
    renameSync(temp, path.join(dir, `${key}.js`));
  } catch {
    // No cache (read-only disk): compile again next time.
  }
}
