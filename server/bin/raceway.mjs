#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { main } from '../dist/esm/cli/main.js';

const uiDir = fileURLToPath(new URL('../ui-dist', import.meta.url));
const ingestThread = fileURLToPath(new URL('../dist/esm/ingest/ingest-thread.js', import.meta.url));
const analysisThread = fileURLToPath(new URL('../dist/esm/analysis/analysis-thread.js', import.meta.url));

main(process.argv.slice(2), { ...(existsSync(uiDir) ? { uiDir } : {}), ingestThread, analysisThread }).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`raceway: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
