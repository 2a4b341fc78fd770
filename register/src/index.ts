/**
 * `node --import @raceway/register app.ts`: instruments `.ts/.mts/.cts` files (stripping their types) and
 * JavaScript files that hold annotations as Node loads them, with the same rules as the Babel plugin
 * (which it runs). ES modules go through module hooks on the loader thread (hooks.ts); CommonJS files
 * through handlers for `require`, installed here. Stack traces point at the original lines (inline source
 * maps, which this enables).
 */
import { readFileSync } from 'node:fs';
import Module, { register } from 'node:module';
import { compile } from './compile.js';
import { formatOf, isTypeScript } from './module-format.js';

interface CjsModule {
  _compile(code: string, filename: string): void;
}
type ExtensionHandler = (module: CjsModule, filename: string) => void;
const extensions = (Module as unknown as { _extensions: Record<string, ExtensionHandler> })._extensions;

process.setSourceMapsEnabled(true);
register('./hooks.js', import.meta.url);

const originalJs = extensions['.js']!;
function compiledOrOriginal(original: ExtensionHandler): ExtensionHandler {
  return (module, filename) => {
    if (formatOf(filename) !== 'commonjs' && !isTypeScript(filename)) return original(module, filename);
    const code = compile(filename, readFileSync(filename, 'utf8'), 'commonjs');
    if (code === undefined) return original(module, filename);
    module._compile(code, filename);
  };
}
for (const ext of ['.ts', '.cts', '.tsx']) extensions[ext] = compiledOrOriginal(originalJs);
extensions['.js'] = compiledOrOriginal(originalJs);
extensions['.cjs'] = compiledOrOriginal(extensions['.cjs'] ?? originalJs);
