import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compile } from './compile.js';
import { formatOf, isJavaScript, isTypeScript } from './module-format.js';

/**
 * Module hooks (`module.register`), run on Node's loader thread. `resolve` finds `./bank.ts` for the
 * `./bank.js` a TypeScript project writes (NodeNext style) or for an extensionless `./bank`. `load` compiles
 * TypeScript, and JavaScript that holds annotations; a file loaded as CommonJS is left to the CommonJS
 * loader, where the handler installed by index.ts compiles it.
 */
interface ResolveContext {
  parentURL?: string;
}
type NextResolve = (specifier: string, context: ResolveContext) => Promise<{ url: string; format?: string | null }>;
type NextLoad = (
  url: string,
  context: { format?: string | null },
) => Promise<{ format: string; source?: string | ArrayBuffer | Uint8Array | null; shortCircuit?: boolean }>;

const TS_FOR_JS: Record<string, string[]> = {
  '.js': ['.ts', '.tsx'],
  '.mjs': ['.mts'],
  '.cjs': ['.cts'],
  '': ['.ts', '.tsx', '/index.ts'],
};

export async function resolve(specifier: string, context: ResolveContext, nextResolve: NextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    const relative = specifier.startsWith('./') || specifier.startsWith('../') || specifier.startsWith('file:');
    if (!relative || (error as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    const ext = /\.(m|c)?js$/.exec(specifier)?.[0] ?? (/\.[a-z]+$/i.test(specifier) ? undefined : '');
    const stem = ext ? specifier.slice(0, -ext.length) : specifier;
    for (const candidate of ext === undefined ? [] : (TS_FOR_JS[ext] ?? [])) {
      try {
        return await nextResolve(stem + candidate, context);
      } catch {
        // Try the next spelling.
      }
    }
    throw error;
  }
}

export async function load(url: string, context: { format?: string | null }, nextLoad: NextLoad) {
  if (!url.startsWith('file:')) return nextLoad(url, context);
  const filename = fileURLToPath(url);
  if (!isTypeScript(filename) && !isJavaScript(filename)) return nextLoad(url, context);
  const format = formatOf(filename);
  if (format === 'commonjs') {
    if (isTypeScript(filename)) return { format: 'commonjs', shortCircuit: true };
    return nextLoad(url, context);
  }
  const source = readFileSync(filename, 'utf8');
  const code = compile(filename, source, 'module');
  if (code === undefined) return nextLoad(url, context);
  return { format: 'module', source: code, shortCircuit: true };
}
