// Reading events back when they arrived as compact batches vs as standard events: the same events, recorded
// by the SDK (the HTTP benchmark's handler: reads and writes of balances), encoded both ways by its encoder,
// posted to `raceway serve`'s app (SQLite in memory), then every event read back in order and analysed.
// Side by side, alternating, in one process. Target: compact at least as fast as standard.
import { RacewayClient } from '@raceway/runtime';
import { buildApp, SqliteStore } from '@raceway/server';
import { BatchEncoder } from '../runtime/dist/esm/export/batch-body.js';
import { Redactor } from '../runtime/dist/esm/export/wire-event.js';
import { median } from './lib/harness.mjs';

async function recorded(requests) {
  const client = RacewayClient.inMemory({ serviceName: 'bench' });
  const accounts = { alice: { balance: 1_000_000 }, bob: { balance: 0 } };
  for (let r = 0; r < requests; r++)
    await client.startTrace('transfer', async () => {
      for (let i = 0; i < 3; i++) {
        const a = accounts.alice.balance;
        client.trackStateChange('accounts.alice.balance', a, a, 'Read', 'app.ts:13:5');
        client.trackStateChange('accounts.alice.balance', a, (accounts.alice.balance = a - 1), 'Write', 'app.ts:13:5');
        const b = accounts.bob.balance;
        client.trackStateChange('accounts.bob.balance', b, b, 'Read', 'app.ts:14:5');
        client.trackStateChange('accounts.bob.balance', b, (accounts.bob.balance = b + 1), 'Write', 'app.ts:14:5');
        client.trackStateChange('accounts.alice.history', '[Array(6)]', '[Array(7)]', 'Write', 'app.ts:16:5');
      }
      await Promise.resolve();
    });
  return { client, records: client.memory.records };
}

export async function compactReadback({ quick = false } = {}) {
  const { client, records } = await recorded(quick ? 300 : 5000);
  const encoder = new BatchEncoder(client.identity, new Redactor([]));
  // Version 2 is what the SDK sends `raceway serve`; version 1 what it sends a server that reads only that.
  const forms = {
    standard: { compact: undefined, size: 100 },
    'compact-1': { compact: 1, size: 1000 },
    'compact-2': { compact: 2, size: 1000 },
  };
  const served = {};
  for (const [name, { compact, size }] of Object.entries(forms)) {
    const store = new SqliteStore(':memory:');
    const { app, analysis } = buildApp({ store, apiKeys: [] });
    for (let i = 0; i < records.length; i += size)
      for (const { body } of encoder.encode(records.slice(i, i + size), compact).bodies)
        await app.inject({
          method: 'POST',
          url: '/events',
          headers: { 'content-type': 'application/json' },
          payload: body.toString(),
        });
    served[name] = { store, app, analysis };
  }
  const read = Object.fromEntries(Object.keys(forms).map((name) => [name, []]));
  const analyse = Object.fromEntries(Object.keys(forms).map((name) => [name, []]));
  let races;
  for (let round = 0; round < (quick ? 2 : 6); round++) {
    const names = Object.keys(forms);
    // Rotating: each form goes first in turn.
    for (const name of [...names.slice(round % names.length), ...names.slice(0, round % names.length)]) {
      const { store } = served[name];
      let started = performance.now();
      let n = 0;
      for (const _ of store.allEvents()) n++;
      read[name].push(performance.now() - started);
      // A fresh analysis service each time: analysis.current() caches its result.
      const { app, analysis } = buildApp({ store, apiKeys: [] });
      started = performance.now();
      races ??= {};
      races[name] = (await analysis.current()).races.length;
      analyse[name].push(performance.now() - started);
      await app.close();
      if (n !== records.length) throw new Error(`${name}: read ${n} of ${records.length} events`);
    }
  }
  for (const { app, store } of Object.values(served)) {
    await app.close();
    store.close();
  }
  const ms = (list) => `${median(list).toFixed(0)} ms`;
  const ratio = (list, name) => median(list[name]) / median(list.standard);
  process.stdout.write(`\nReading back ${records.length} events stored as compact batches vs as standard events\n`);
  process.stdout.write(
    `  every event in order      standard ${ms(read.standard)}, compact-1 ${ms(read['compact-1'])} (${ratio(read, 'compact-1').toFixed(2)}x), compact-2 ${ms(read['compact-2'])} (${ratio(read, 'compact-2').toFixed(2)}x)\n`,
  );
  process.stdout.write(
    `  analysis                  standard ${ms(analyse.standard)}, compact-1 ${ms(analyse['compact-1'])} (${ratio(analyse, 'compact-1').toFixed(2)}x), compact-2 ${ms(analyse['compact-2'])} (${ratio(analyse, 'compact-2').toFixed(2)}x) (races: ${Object.values(races).join(', ')})\n`,
  );
  return ['compact-1', 'compact-2'].flatMap((name) => [
    {
      benchmark: 'compact read-back',
      metric: `read all, ${name} / standard`,
      ratio: ratio(read, name),
      target: '<= 1x',
    },
    {
      benchmark: 'compact read-back',
      metric: `analysis, ${name} / standard`,
      ratio: ratio(analyse, name),
      target: '<= 1x',
    },
  ]);
}
