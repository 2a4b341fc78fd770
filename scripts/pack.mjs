#!/usr/bin/env node
// `npm run pack`: builds every package and writes installable tarballs to packages-dist/. Install the ones you
// need together (their internal dependencies resolve to each other), e.g.
//   npm install ./packages-dist/raceway-protocol-0.1.0.tgz ./packages-dist/raceway-runtime-0.1.0.tgz \
//               ./packages-dist/raceway-instrument-core-0.1.0.tgz \
//               ./packages-dist/raceway-transformer-0.1.0.tgz ./packages-dist/raceway-server-0.1.0.tgz
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(repo, 'packages-dist');
const PACKAGES = [
  'protocol',
  'runtime',
  'instrument-core',
  'babel-plugin',
  'transformer',
  'register',
  'unplugin',
  'annotate',
  'server',
];
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

// `--no-build`: the packages are built already (the test suite packs after `npm test` built them).
if (!process.argv.includes('--no-build')) execFileSync(npm, ['run', 'build'], { cwd: repo, stdio: 'inherit' });
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
for (const dir of PACKAGES) {
  execFileSync(npm, ['pack', '--pack-destination', out, '--silent'], {
    cwd: path.join(repo, dir),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}
const tarballs = readdirSync(out)
  .filter((f) => f.endsWith('.tgz'))
  .sort();
process.stdout.write(`${tarballs.map((f) => path.join('packages-dist', f)).join('\n')}\n`);
