// Starts the three services on free loopback ports, sends orders, stops them.
//   node run.mjs concurrent   two orders at once: both reserve the same stock row -> a race
//   node run.mjs ordered      one request placing two orders in sequence -> no race
import { spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const mode = process.argv[2] ?? 'concurrent';
if (!['concurrent', 'ordered'].includes(mode)) {
  process.stderr.write('usage: node run.mjs concurrent|ordered\n');
  process.exit(2);
}

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const ports = { GATEWAY_PORT: await freePort(), INVENTORY_PORT: await freePort(), PAYMENT_PORT: await freePort() };
const children = ['inventory', 'payment', 'gateway'].map((name) => {
  const child = spawn(process.execPath, [path.join(here, `${name}.mjs`)], { env: { ...process.env, ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])) }, stdio: ['ignore', 'pipe', 'inherit'] });
  const ready = new Promise((resolve) => child.stdout.on('data', (c) => String(c).includes('ready') && resolve()));
  return { name, child, ready };
});
await Promise.all(children.map((c) => c.ready));

const gateway = `http://127.0.0.1:${ports.GATEWAY_PORT}`;
const post = (p) => fetch(`${gateway}${p}`, { method: 'POST' }).then((r) => r.json());
const results = mode === 'concurrent' ? await Promise.all([post('/order'), post('/order')]) : await post('/order-twice');
const left = results.map((r) => r.reserved.left);
process.stdout.write(`${mode}: stock left after each order: ${left.join(', ')}${mode === 'concurrent' && left[0] === left[1] ? ' (two orders, one unit gone: a lost update)' : ''}\n`);

await Promise.all(children.map(({ child }) => new Promise((resolve) => {
  child.once('exit', resolve);
  child.kill('SIGTERM');
})));
