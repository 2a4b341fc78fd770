// Type-checks every package's sources, the web UI, the examples and the tests (built packages first:
// tests import them by name). One tsc run per project, all reported before the exit code is set.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tsc = path.join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
const projects = [
  'protocol/tsconfig.esm.json',
  'runtime/tsconfig.esm.json',
  'instrument-core/tsconfig.esm.json',
  'babel-plugin/tsconfig.esm.json',
  'transformer/tsconfig.esm.json',
  'register/tsconfig.json',
  'unplugin/tsconfig.json',
  'annotate/tsconfig.esm.json',
  'server/tsconfig.esm.json',
  'server/ui/tsconfig.json',
  'examples/express-banking/tsconfig.json',
  'examples/background-worker/tsconfig.json',
  'tsconfig.typecheck.json',
];
let failed = 0;
for (const project of projects) {
  const result = spawnSync(process.execPath, [tsc, '-p', project, '--noEmit'], { cwd: repo, stdio: 'inherit' });
  if (result.status !== 0) failed++;
  else process.stdout.write(`typecheck ${project}: ok\n`);
}
process.exit(failed ? 1 : 0);
