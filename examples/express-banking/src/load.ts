/**
 * Starts the service on a free loopback port, fires concurrent transfers at one endpoint, prints the
 * balances, and exits. `node dist/load.js [/transfer | /transfer-safe] [count]`.
 */
import type { AddressInfo } from 'node:net';
import { createApp } from './app.js';
import { raceway } from './raceway.js';

const endpoint = process.argv[2] ?? '/transfer';
const count = Number(process.argv[3] ?? 10);

const server = createApp().listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const transfers = Array.from({ length: count }, () =>
  fetch(`${base}${endpoint}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ from: 'alice', to: 'bob', amount: 10 }),
  }).then((r) => r.status),
);
const statuses = await Promise.all(transfers);
const balances = (await (await fetch(`${base}/balances`)).json()) as Record<string, number>;
const total = Object.values(balances).reduce((a, b) => a + b, 0);
process.stdout.write(`${endpoint}: ${count} concurrent transfers of 10 from alice to bob -> statuses ${[...new Set(statuses)].join(',')}\n`);
const verdict = total === 2000 ? 'money conserved' : `the total should be 2000: lost updates changed it by ${total - 2000 > 0 ? '+' : ''}${total - 2000}`;
process.stdout.write(`balances: alice ${balances.alice}, bob ${balances.bob} (total ${total}; ${verdict})\n`);
server.close();
await raceway.shutdown();
