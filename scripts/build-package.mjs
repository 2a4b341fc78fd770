// Builds the package in the current folder: `dist/` emptied, then the ES module build (tsconfig.esm.json, or
// tsconfig.json for ESM-only packages) and, where the package has one, the CommonJS build (tsconfig.cjs.json),
// marked so Node reads it as CommonJS inside a "type": "module" package. Every package's `build` runs this.
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tsc = path.join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
const run = (project) => execFileSync(process.execPath, [tsc, '-p', project], { stdio: 'inherit' });

rmSync('dist', { recursive: true, force: true });
run(existsSync('tsconfig.esm.json') ? 'tsconfig.esm.json' : 'tsconfig.json');
if (existsSync('tsconfig.cjs.json')) {
  run('tsconfig.cjs.json');
  writeFileSync(path.join('dist', 'cjs', 'package.json'), '{ "type": "commonjs" }\n');
}
