// Requests/s of an Express service without awaits in its handler, uninstrumented vs instrumented
// (tsc + transformer, ~20 tracked accesses per request, events flowing to a real `raceway serve`),
// driven by autocannon on loopback in alternating runs. Target: instrumented >= 0.90x.
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import ts from 'typescript';
import racewayTransformer from '@raceway/transformer';
import { median } from './lib/harness.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = path.join(repo, 'test-output', 'bench-http');

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
process.on('SIGTERM', async () => { server.close(); await raceway.shutdown(); process.exit(0); });
`;

function compile(instrument) {
  const file = path.join(dir, 'app.ts');
  writeFileSync(file, SOURCE);
  const program = ts.createProgram([file], { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, esModuleInterop: true, types: [], skipLibCheck: true });
  let js = '';
  program.emit(program.getSourceFile(file), (n, text) => { if (n.endsWith('.js')) js = text; }, undefined, false, { before: instrument ? [racewayTransformer(program, { root: dir }, { ts })] : [] });
  const target = path.join(dir, instrument ? 'instrumented.mjs' : 'plain.mjs');
  writeFileSync(target, js);
  return target;
}

function start(file, env) {
  const child = spawn(process.execPath, [file], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve) => child.stdout.on('data', (c) => { const m = /port (\d+)/.exec(String(c)); if (m) resolve({ child, url: `http://127.0.0.1:${m[1]}/transfer` }); }));
}

const load = (url, seconds) => new Promise((resolve, reject) => autocannon({ url, connections: 20, duration: seconds }, (err, result) => (err ? reject(err) : resolve(result.requests.average))));

export async function httpOverhead({ quick = false } = {}) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const plain = compile(false);
  const instrumented = compile(true);
  const collector = spawn(process.execPath, [path.join(repo, 'server', 'bin', 'raceway.mjs'), 'serve', '--port', '0', '--db', path.join(dir, 'events.db')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const endpoint = await new Promise((resolve) => collector.stdout.on('data', (c) => { const m = /listening on (http:\/\/\S+)/.exec(String(c)); if (m) resolve(m[1]); }));
  const apps = {
    plain: await start(plain, { RACEWAY_ENABLED: 'false' }),
    instrumented: await start(instrumented, { INSTRUMENTED: '1', RACEWAY_ENDPOINT: endpoint }),
  };
  const rounds = quick ? 1 : 5;
  const seconds = quick ? 1 : 5;
  const samples = { plain: [], instrumented: [] };
  await load(apps.plain.url, 1);
  await load(apps.instrumented.url, 1);
  for (let r = 0; r < rounds; r++) {
    for (const name of r % 2 ? ['instrumented', 'plain'] : ['plain', 'instrumented']) samples[name].push(await load(apps[name].url, seconds));
  }
  for (const { child } of Object.values(apps)) child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  collector.kill('SIGTERM');
  const p = median(samples.plain);
  const i = median(samples.instrumented);
  process.stdout.write(`\nHTTP overhead (Express, 19 tracked accesses per request, autocannon 20 connections, ${rounds} x ${seconds}s alternating)\n`);
  process.stdout.write(`  uninstrumented  ${p.toFixed(0).padStart(7)} req/s   1.00x\n  instrumented    ${i.toFixed(0).padStart(7)} req/s   ${(i / p).toFixed(2)}x   (target >= 0.90x)\n`);
  return [{ benchmark: 'HTTP overhead', metric: 'instrumented / plain req/s', ratio: i / p, target: '>= 0.90x' }];
}
