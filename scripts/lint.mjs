// ESLint (type-aware) and Prettier's check, side by side.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runParallel } from './run-parallel.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = (p) => path.join(repo, 'node_modules', p);
await runParallel(
  [
    {
      label: 'eslint',
      command: process.execPath,
      args: [bin('eslint/bin/eslint.js'), '--cache', '--cache-location', bin('.cache/eslint/'), repo],
    },
    {
      label: 'prettier --check',
      command: process.execPath,
      args: [bin('prettier/bin/prettier.cjs'), '--check', '--cache', repo],
    },
  ],
  repo,
);
