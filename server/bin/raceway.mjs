#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { main } from '../dist/esm/cli/main.js';

const uiDir = fileURLToPath(new URL('../ui-dist', import.meta.url));
const ingestThread = fileURLToPath(new URL('../dist/esm/ingest/ingest-thread.js', import.meta.url));
const analysisThread = fileURLToPath(new URL('../dist/esm/analysis/analysis-thread.js', import.meta.url));

// Exits once the output is written, even if something (a worker thread after a failure) would keep the
// process alive: a CI job running `raceway run` must never hang.
const exit = (code) => process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));

main(process.argv.slice(2), { ...(existsSync(uiDir) ? { uiDir } : {}), ingestThread, analysisThread }).then(
  exit,
  (error) => {
    process.stderr.write(`raceway: ${error instanceof Error ? error.message : String(error)}\n`);
    exit(2);
  },
);
