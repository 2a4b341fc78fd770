import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { RacewayClient, replaceDefaultClient } from '@raceway/runtime';
import * as rw from '@raceway/runtime/instrument';
import { accessesFrom, analyze } from '@raceway/server';
import type { Race } from '@raceway/server';

/**
 * The worked examples of the causality model, run for real: the runtime records what the code does
 * (through the same entry instrumented code calls), the detector judges it.
 */
async function scenario(
  body: (client: RacewayClient) => Promise<void>,
  clients: RacewayClient[] = [],
): Promise<Race[]> {
  const client = RacewayClient.inMemory({ serviceName: 'app' });
  replaceDefaultClient(client);
  await body(client);
  const events = [client, ...clients].flatMap((c) => c.memoryEvents());
  return analyze(accessesFrom(events as never)).races;
}

const summary = (races: Race[]) => races.map((r) => `${r.severity} ${r.kind} ${r.variable}`);

/**
 * An order between two traces that does not depend on timer delays: one awaits `opened` until the other calls
 * `open()`. The runtime does not order them by it (a promise resolved elsewhere is not a join), as with a timer.
 */
function signal(): { open: () => void; opened: Promise<void> } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

let bal = 100;
async function readAwaitWrite(amount: number, wait: number | Promise<void>, afterRead?: () => void): Promise<void> {
  const b = rw.read('bal', bal, 'bank.ts:10:13');
  afterRead?.();
  await (typeof wait === 'number' ? sleep(wait) : wait);
  rw.boundary();
  bal = rw.write('bal', b, b - amount, 'bank.ts:12:3');
}
async function atomicDecrement(amount: number): Promise<void> {
  bal = rw.write('bal', rw.read('bal', bal, 'bank.ts:20:3'), bal - amount, 'bank.ts:20:3');
}

describe('the detector on the worked examples', () => {
  it("reports a lost update when B writes during A's await (observed, critical)", async () => {
    const aRead = signal();
    const bWrote = signal();
    const races = await scenario(async (c) => {
      await Promise.all([
        c.startTrace('A', () => readAwaitWrite(10, bWrote.opened, aRead.open)),
        c.startTrace('B', async () => {
          await aRead.opened;
          await atomicDecrement(5);
          bWrote.open();
        }),
      ]);
    });
    expect(summary(races)).toEqual(['critical lost-update bal']);
    const [race] = races;
    expect(race!.accesses.map((a) => `${a.write ? 'W' : 'R'} ${a.location}`)).toEqual([
      'R bank.ts:10:13',
      'W bank.ts:20:3',
      'W bank.ts:12:3',
    ]);
    expect(new Set(race!.accesses.map((a) => a.traceId)).size).toBe(2);
  });

  it("predicts it when B's request ran after A finished (warning)", async () => {
    // Two requests: B arrives after A finished, but nothing that waited for A started B.
    const aDone = signal();
    const races = await scenario(async (c) => {
      const a = c.startTrace('A', async () => {
        await readAwaitWrite(10, 2);
        aDone.open();
      });
      await aDone.opened; // not a join: awaiting `a` itself would order B after A
      const b = c.startTrace('B', () => atomicDecrement(5));
      await Promise.all([a, b]);
    });
    expect(summary(races)).toEqual(['warning lost-update bal']);
    expect(races[0]!.observed).toBe(false);
  });

  it('finds nothing when the read-modify-write sits in one segment after the await', async () => {
    const races = await scenario(async (c) => {
      const request = () =>
        c.startTrace('req', async () => {
          await sleep(Math.random() * 5);
          rw.boundary();
          await atomicDecrement(10);
        });
      await Promise.all([request(), request(), request()]);
    });
    expect(races).toEqual([]);
  });

  it('reports a stale read of its own write', async () => {
    let user = '';
    const aWrote = signal();
    const bWrote = signal();
    const races = await scenario(async (c) => {
      await Promise.all([
        c.startTrace('A', async () => {
          user = rw.write('user', user, 'alice', 'auth.ts:3:3');
          aWrote.open();
          await bWrote.opened;
          rw.boundary();
          rw.read('user', user, 'auth.ts:5:10');
        }),
        c.startTrace('B', async () => {
          await aWrote.opened;
          user = rw.write('user', user, 'bob', 'auth.ts:3:3');
          bWrote.open();
        }),
      ]);
    });
    expect(summary(races)).toEqual(['critical stale-read user']);
  });

  it('reports a half-done update seen across two variables', async () => {
    let ready = false;
    let config: unknown = null;
    const aReady = signal();
    const bRead = signal();
    const races = await scenario(async (c) => {
      await Promise.all([
        c.startTrace('A', async () => {
          ready = rw.write('ready', ready, true, 'init.ts:2:3');
          aReady.open();
          await bRead.opened;
          rw.boundary();
          config = rw.write('config', config, { port: 1 }, 'init.ts:4:3');
        }),
        c.startTrace('B', async () => {
          await aReady.opened;
          if (rw.read('ready', ready, 'use.ts:2:7')) rw.read('config', config, 'use.ts:3:10');
          bRead.open();
        }),
      ]);
    });
    expect(summary(races)).toEqual(['critical inconsistent-read ready, config']);
  });

  it('reports a double initialisation', async () => {
    let pool: unknown;
    const races = await scenario(async (c) => {
      const getPool = async () => {
        if (!rw.read('pool', pool, 'db.ts:3:8')) {
          await sleep(10);
          rw.boundary();
          pool = rw.write('pool', pool, { id: Math.random() }, 'db.ts:5:5');
        }
      };
      await Promise.all([c.startTrace('A', getPool), c.startTrace('B', getPool)]);
    });
    expect(summary(races)).toContain('critical double-initialization pool');
  });

  it('finds nothing for a promise memoised synchronously', async () => {
    let p: Promise<number> | undefined;
    const races = await scenario(async (c) => {
      const connect = () => {
        if (!rw.read('p', p, 'db.ts:2:8'))
          p = rw.write(
            'p',
            p,
            sleep(5).then(() => 1),
            'db.ts:2:15',
          );
        return rw.read('p', p, 'db.ts:3:10');
      };
      await Promise.all([c.startTrace('A', () => connect()), c.startTrace('B', () => connect())]);
    });
    expect(races).toEqual([]);
  });

  const inc = () => rw.callAsync('inc', 'bank', 'bank.ts:30:1', [], () => readAwaitWrite(1, 5));

  it('treats the branches of Promise.all as concurrent', async () => {
    const races = await scenario(async (c) => {
      await c.startTrace('req', async () => {
        await Promise.all([inc(), inc()]);
      });
    });
    expect(summary(races)).toEqual(['critical lost-update bal']);
  });

  it('orders sequential awaits (join, then fork)', async () => {
    const races = await scenario(async (c) => {
      await c.startTrace('req', async () => {
        await inc();
        await inc();
      });
    });
    expect(races).toEqual([]);
  });

  it('finds nothing when the lost update is wrapped in withLock', async () => {
    const races = await scenario(async (c) => {
      const locked = () => c.withLock('acct', () => readAwaitWrite(10, 5));
      await Promise.all([c.startTrace('A', locked), c.startTrace('B', locked)]);
      await c.startTrace('C', locked);
    });
    expect(races).toEqual([]);
  });

  it('finds nothing for a cache keyed per request', async () => {
    const cache = new Map<string, number>();
    const races = await scenario(async (c) => {
      const request = (key: string) =>
        c.startTrace(key, async () => {
          const name = `cache[${key}]`;
          if (!rw.read(name, cache.has(key), 'cache.ts:2:7')) {
            await sleep(5);
            rw.boundary();
            cache.set(key, 1);
            rw.write(name, undefined, 1, 'cache.ts:4:5');
          }
        });
      await Promise.all([request('a'), request('b'), request('c')]);
    });
    expect(races).toEqual([]);
  });

  it('finds nothing when two requests only read', async () => {
    const races = await scenario(async (c) => {
      const reader = () =>
        c.startTrace('r', async () => {
          rw.read('bal', bal, 'a.ts:1:1');
          await sleep(5);
          rw.boundary();
          rw.read('bal', bal, 'a.ts:3:1');
        });
      await Promise.all([reader(), reader()]);
    });
    expect(races).toEqual([]);
  });

  it('warns of unordered initialisation between two timers', async () => {
    let config: string | undefined;
    const races = await scenario(async () => {
      await new Promise<void>((resolve) => {
        let done = 0;
        const finish = () => ++done === 2 && resolve();
        setTimeout(() => {
          rw.read('config', config, 'worker.ts:2:5');
          finish();
        }, 1);
        setTimeout(() => {
          config = rw.write('config', config, 'loaded', 'loader.ts:2:5');
          finish();
        }, 15);
      });
    });
    expect(summary(races)).toEqual(['warning unordered-initialization config']);
  });
});

describe('across services', () => {
  async function services(inventoryWaitMs: number) {
    const gateway = RacewayClient.inMemory({ serviceName: 'gateway' });
    const inventory = RacewayClient.inMemory({ serviceName: 'inventory' });
    let stock = 10;
    const inventoryServer = http.createServer(
      inventory.wrapHandler(async (_req, res) => {
        // A database row tracked by hand, as a service without build-time instrumentation would.
        const s = stock;
        inventory.trackStateChange('db.stock.sku-1', s, s, 'Read', 'inventory.ts:5:13');
        await sleep(inventoryWaitMs);
        inventory.trackStateChange('db.stock.sku-1', s, s - 1, 'Write', 'inventory.ts:7:3');
        stock = s - 1;
        res.end('ok');
      }),
    );
    await new Promise<void>((r) => inventoryServer.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(inventoryServer.address() as AddressInfo).port}`;
    const gatewayServer = http.createServer(
      gateway.wrapHandler(async (req, res) => {
        const calls = req.url === '/twice' ? 2 : 1;
        for (let i = 0; i < calls; i++) await (await fetch(`${url}/reserve`)).text();
        res.end('done');
      }),
    );
    await new Promise<void>((r) => gatewayServer.listen(0, '127.0.0.1', r));
    const gatewayUrl = `http://127.0.0.1:${(gatewayServer.address() as AddressInfo).port}`;
    return {
      gateway,
      inventory,
      gatewayUrl,
      close: async () => {
        for (const s of [inventoryServer, gatewayServer]) s.closeAllConnections();
        await Promise.all([inventoryServer, gatewayServer].map((s) => new Promise((r) => s.close(r))));
      },
    };
  }

  it('finds nothing when the gateway calls inventory twice in sequence', async () => {
    const s = await services(5);
    const races = await scenario(async () => {
      await (await fetch(`${s.gatewayUrl}/twice`)).text();
    }, [s.gateway, s.inventory]);
    await s.close();
    expect(races).toEqual([]);
  });

  it("reports two concurrent orders racing on inventory's stock row", async () => {
    const s = await services(60);
    const races = await scenario(async () => {
      await Promise.all([
        fetch(`${s.gatewayUrl}/once`).then((r) => r.text()),
        sleep(5)
          .then(() => fetch(`${s.gatewayUrl}/once`))
          .then((r) => r.text()),
      ]);
    }, [s.gateway, s.inventory]);
    await s.close();
    expect(summary(races)).toEqual(['critical lost-update db.stock.sku-1']);
    expect(races[0]!.services).toEqual(['inventory']);
  });
});
