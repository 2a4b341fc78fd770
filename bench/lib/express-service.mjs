// The Express service both HTTP benchmarks measure, compiled plain and with the transformer.
import { spawn } from 'node:child_process';
import http from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import ts from 'typescript';
import racewayTransformer from '@raceway/transformer';
import { BATCH_FORMATS_HEADER, COMPACT_FORMATS } from '@raceway/protocol';

const SOURCE = `import express from 'express';
import { RacewayClient } from '@raceway/runtime';
const raceway = RacewayClient.fromEnv({ serviceName: 'bench-http' });
/** @tracked */
const accounts: Record<string, { balance: number; history: number[] }> = { alice: { balance: 1_000_000, history: [] }, bob: { balance: 0, history: [] } };
/** @tracked */
let requests = 0;
const app = express();
if (process.env.INSTRUMENTED === '1') app.use(raceway.middleware());
app.get('/transfer', (_req, res) => {
  requests++;
  for (let i = 0; i < 3; i++) {
    accounts.alice.balance -= 1;
    accounts.bob.balance += 1;
    if (accounts.alice.history.length > 100) accounts.alice.history.length = 0;
    accounts.alice.history.push(accounts.alice.balance);
  }
  res.json({ alice: accounts.alice.balance, bob: accounts.bob.balance, requests });
});
const server = app.listen(0, '127.0.0.1', () => process.stdout.write('port ' + (server.address() as any).port + '\\n'));
process.on('SIGTERM', async () => { server.close(); await raceway.shutdown(); process.stdout.write('stats ' + JSON.stringify(raceway.stats()) + '\\n'); process.exit(0); });
`;

/**
 * Writes `<name>.mjs` into `dir`: the service compiled with the transformer (`instrument`) or plain;
 * `tracked: false` drops its `@tracked` annotations (the middleware's own cost, no access recorded).
 */
export function compileService(dir, name, { instrument, tracked = true }) {
  const file = path.join(dir, `${name}.ts`);
  writeFileSync(file, tracked ? SOURCE : SOURCE.replaceAll('/** @tracked */', ''));
  const program = ts.createProgram([file], {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    esModuleInterop: true,
    types: [],
    skipLibCheck: true,
  });
  let js = '';
  program.emit(
    program.getSourceFile(file),
    (n, text) => {
      if (n.endsWith('.js')) js = text;
    },
    undefined,
    false,
    { before: instrument ? [racewayTransformer(program, { root: dir }, { ts })] : [] },
  );
  const target = path.join(dir, `${name}.mjs`);
  writeFileSync(target, js);
  return target;
}

/** The plain service with one middleware that runs the rest of the request in an AsyncLocalStorage context. */
export function contextOnly(plainFile) {
  const anchor = 'const app = express();';
  const js = readFileSync(plainFile, 'utf8');
  if (!js.includes(anchor)) throw new Error(`${plainFile}: no '${anchor}' to add the context middleware after`);
  const file = plainFile.replace(/plain\.mjs$/, 'context.mjs');
  writeFileSync(
    file,
    `import { AsyncLocalStorage } from 'node:async_hooks';\nconst requestContext = new AsyncLocalStorage();\n` +
      js.replace(anchor, `${anchor}\napp.use((req, res, next) => requestContext.run({ req }, next));`),
  );
  return file;
}

/**
 * A collector that reads each batch to its end and acknowledges it, nothing more; it says it reads compact
 * batches, as `raceway serve` does. Resolves to the listening server; `posts` counts the POSTs per path.
 */
export async function startDiscardingCollector() {
  const posts = new Map();
  const discard = http.createServer((req, res) => {
    posts.set(req.url, (posts.get(req.url) ?? 0) + 1);
    req.on('data', () => {});
    req.on('end', () =>
      res
        .writeHead(200, { 'content-type': 'application/json', [BATCH_FORMATS_HEADER]: COMPACT_FORMATS })
        .end('{"success":true,"data":null,"error":null}'),
    );
  });
  discard.posts = posts;
  await new Promise((resolve) => discard.listen(0, '127.0.0.1', resolve));
  return discard;
}

/**
 * Starts a compiled service (`node`, default this one, with `nodeArgs` before the file) and resolves to
 * `{ child, url, stats }` once it listens: `stats` resolves to the SDK's counters, which the service prints
 * when told to stop (undefined for a plain one). The SDK's own notices (stderr) are ignored.
 */
export function startService(file, env, { node = process.execPath, nodeArgs = [] } = {}) {
  const child = spawn(node, [...nodeArgs, file], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let out = '';
  let listening = false;
  const stats = new Promise((resolve) =>
    child.on('exit', () => {
      const m = /stats (\{.*\})/.exec(out);
      resolve(m ? JSON.parse(m[1]) : undefined);
    }),
  );
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => {
      if (!listening) reject(new Error(`${file} exited (${code}) before listening`));
    });
    child.stdout.on('data', (c) => {
      out += String(c);
      const m = /port (\d+)/.exec(out);
      if (m && !listening) {
        listening = true;
        resolve({ child, stats, url: `http://127.0.0.1:${m[1]}/transfer` });
      }
    });
  });
}

/** autocannon's request counts for `seconds` of 20 connections, at `overallRate` requests/s when given. */
export const load = (url, seconds, overallRate) =>
  new Promise((resolve, reject) =>
    autocannon({ url, connections: 20, duration: seconds, ...(overallRate ? { overallRate } : {}) }, (err, result) =>
      err ? reject(err) : resolve(result.requests),
    ),
  );
