// The Express service both HTTP benchmarks measure, compiled plain and with the transformer.
import http from 'node:http';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
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

/**
 * A collector that reads each batch to its end and acknowledges it, nothing more; it says it reads compact
 * batches, as `raceway serve` does. Resolves to the listening server.
 */
export async function startDiscardingCollector() {
  const discard = http.createServer((req, res) => {
    req.on('data', () => {});
    req.on('end', () =>
      res
        .writeHead(200, { 'content-type': 'application/json', [BATCH_FORMATS_HEADER]: COMPACT_FORMATS })
        .end('{"success":true,"data":null,"error":null}'),
    );
  });
  await new Promise((resolve) => discard.listen(0, '127.0.0.1', resolve));
  return discard;
}
