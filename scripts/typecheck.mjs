// Type-checks every package's sources and the tests (one program: tsconfig.typecheck.json), the web UI and
// the examples, side by side. The tests import the packages by name, so the packages are built first.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runParallel } from './run-parallel.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tsc = path.join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
const projects = [
  'tsconfig.typecheck.json',
  'server/ui/tsconfig.json',
  'examples/express-banking/tsconfig.json',
  'examples/background-worker/tsconfig.json',
];
await runParallel(
  projects.map((project) => ({
    label: `typecheck ${project}`,
    command: process.execPath,
    // Incremental: a second run rechecks only what changed (the build info lives in node_modules/.cache).
    args: [
      tsc,
      '-p',
      path.join(repo, project),
      '--noEmit',
      '--incremental',
      '--tsBuildInfoFile',
      path.join(repo, 'node_modules', '.cache', 'tsc', `${project.replace(/[/.]/g, '_')}.tsbuildinfo`),
    ],
  })),
  repo,
);
