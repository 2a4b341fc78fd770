// Cost of one tracked access through the instrument entry, inside a request context, against a bare
// array push and AsyncLocalStorage.getStore(). Target: tracked write <= 5x the array push.
import { AsyncLocalStorage } from 'node:async_hooks';
import http from 'node:http';
import { BATCH_FORMATS_HEADER, COMPACT_FORMATS } from '@raceway/protocol';
import { RacewayClient, replaceDefaultClient } from '@raceway/runtime';
import * as rw from '@raceway/runtime/instrument';
import { compare, printTable } from './lib/harness.mjs';

export async function runtimeHotPath({ quick = false } = {}) {
  const iterations = quick ? 20_000 : 200_000;
  const rounds = quick ? 3 : 21;
  // A real client with its real exporter, sending to a collector on loopback that accepts and
  // discards, and says it reads compact batches as `raceway serve` does; the queue is flushed between
  // rounds, outside the timed loops (the garbage a flush leaves is collected partly inside them).
  const collector = http.createServer((req, res) =>
    req
      .resume()
      .on('end', () => res.writeHead(200, { [BATCH_FORMATS_HEADER]: COMPACT_FORMATS }).end('{"success":true}')),
  );
  await new Promise((resolve) => collector.listen(0, '127.0.0.1', resolve));
  const client = new RacewayClient({
    endpoint: `http://127.0.0.1:${collector.address().port}`,
    serviceName: 'bench',
    maxQueue: iterations + 1000,
    batchSize: 1000,
    flushIntervalMs: 3_600_000,
  });
  replaceDefaultClient(client);
  const drain = () => client.flush();

  const als = new AsyncLocalStorage();
  let sink = [];
  let counter = 0;
  const cases = [
    {
      name: 'array push of an integer',
      setup: () => (sink = []),
      run: (n) => {
        for (let i = 0; i < n; i++) sink.push(i);
      },
    },
    {
      name: 'array push of a small object',
      setup: () => (sink = []),
      run: (n) => {
        for (let i = 0; i < n; i++) sink.push({ v: i, o: i - 1, l: 'a.ts:1:1' });
      },
    },
    {
      name: 'AsyncLocalStorage.getStore()',
      run: (n) => {
        for (let i = 0; i < n; i++) counter += als.getStore().id;
      },
    },
    {
      name: 'getStore() + counter + push',
      setup: () => (sink = []),
      run: (n) => {
        for (let i = 0; i < n; i++) sink.push({ s: als.getStore(), seq: ++counter, v: i });
      },
    },
    {
      name: 'tracked write (instrument.write)',
      teardown: drain,
      run: (n) => {
        for (let i = 0; i < n; i++) counter = rw.write('accounts.alice.balance', counter, i, 'src/bank.ts:12:5');
      },
    },
    {
      name: 'manual trackStateChange',
      teardown: drain,
      run: (n) => {
        for (let i = 0; i < n; i++)
          client.trackStateChange('accounts.alice.balance', i, i + 1, 'Write', 'src/bank.ts:12:5');
      },
    },
  ];

  const rows = await client.startTrace('bench', async () => {
    await Promise.resolve();
    return als.run({ id: 1 }, () => compare(cases, { iterations, rounds }));
  });
  const { dropped, sent } = client.stats();
  await client.shutdown();
  collector.close();
  if (dropped > 0) throw new Error(`benchmark lost ${dropped} events: the queue was too small for a round`);
  printTable(
    `Per tracked access, inside a request context (${sent} events sent to a loopback collector)`,
    rows,
    'target: tracked write <= 5x a bare array push',
  );
  const tracked = rows.find((r) => r.name.startsWith('tracked write'));
  const objectPush = rows.find((r) => r.name.startsWith('array push of a small object'));
  return [
    { benchmark: 'per tracked access', metric: 'tracked write / integer push', ratio: tracked.ratio, target: '<= 5x' },
    {
      benchmark: 'per tracked access',
      metric: 'tracked write / object push',
      ratio: tracked.ratio / objectPush.ratio,
      target: '<= 5x',
    },
  ];
}
