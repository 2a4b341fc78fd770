import { describe, expect, it } from 'vitest';
import { RacewayClient, RacewayConfigError, RacewayContextError, replaceDefaultClient } from '../src/index.js';
import { normalizeEndpoint, optionsFromEnv } from '../src/config/resolve-options.js';
import { argsFor } from '../src/instrument/args.js';
import { capturedToJson, captureValue } from '../src/record/values.js';

const safe = (v: unknown) => capturedToJson(captureValue(v));

describe('values are serialised safely', () => {
  it('cuts cycles', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    expect(safe(a)).toEqual({ name: 'a', self: '[Circular]' });
  });

  it('writes BigInt, Symbol, functions, undefined, NaN and Infinity as readable values', () => {
    expect(safe(10n)).toBe('10n');
    expect(safe(Symbol('s'))).toBe('Symbol(s)');
    expect(safe(function transfer() {})).toBe('[Function transfer]');
    expect(safe(undefined)).toBeNull();
    expect(safe(NaN)).toBe('NaN');
    expect(safe({ big: 1n, inf: -Infinity })).toEqual({ big: '1n', inf: '-Infinity' });
  });

  it('truncates huge strings, wide and deep values with markers', () => {
    expect(safe('x'.repeat(5000))).toMatch(/…\[\+2952 chars\]$/);
    const wide = safe(Array.from({ length: 80 }, (_, i) => i)) as unknown[];
    expect(wide).toHaveLength(51);
    expect(wide[50]).toBe('…[+30 items]');
    expect(safe({ a: { b: { c: { d: { e: 1 } } } } })).toEqual({ a: { b: { c: { d: '[Object]' } } } });
    expect(
      JSON.stringify(safe(Array.from({ length: 1000 }, () => ({ a: [1, 2, 3], b: 'x'.repeat(100) })))).length,
    ).toBeLessThan(100_000);
  });

  it('copies objects when recorded, so later mutation does not rewrite history', () => {
    const account = { balance: 100 };
    const captured = captureValue(account);
    account.balance = 0;
    expect(capturedToJson(captured)).toEqual({ balance: 100 });
  });

  it("keeps an own __proto__ key as data, without changing the copy's prototype", () => {
    const parsed = JSON.parse('{"__proto__":{"admin":true},"name":"x"}') as object;
    const copy = safe(parsed) as Record<string, unknown>;
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.hasOwn(copy, '__proto__')).toBe(true);
    expect(JSON.stringify(copy)).toBe('{"__proto__":{"admin":true},"name":"x"}');
    expect((copy as { admin?: unknown }).admin).toBeUndefined();
  });

  it('never runs proxy traps or constructor getters, and survives a revoked proxy, in values and in call arguments', async () => {
    let traps = 0;
    const logged = new Proxy(
      { a: 1 },
      {
        get: (t, k) => (traps++, Reflect.get(t, k)),
        ownKeys: (t) => (traps++, Reflect.ownKeys(t)),
        getPrototypeOf: (t) => (traps++, Reflect.getPrototypeOf(t)),
      },
    );
    const { proxy: revoked, revoke } = Proxy.revocable({}, {});
    revoke();
    let constructorReads = 0;
    class Sneaky {}
    Object.defineProperty(Sneaky.prototype, 'constructor', {
      get() {
        constructorReads++;
        throw new Error('ran');
      },
    });
    expect(safe(logged)).toBe('[Proxy]');
    expect(safe(revoked)).toBe('[Proxy]');
    expect(safe({ inner: revoked, sneaky: new Sneaky() })).toEqual({ inner: '[Proxy]', sneaky: {} });
    const c = RacewayClient.inMemory({ serviceName: 'args' });
    replaceDefaultClient(c);
    const traced = (...args: unknown[]) => c.trackFunction('f', args, async () => 'ok');
    await expect(traced(logged, revoked, new Sneaky(), [1, 2])).resolves.toBe('ok');
    expect(traps).toBe(0);
    expect(constructorReads).toBe(0);
    const call = c.memoryEvents().find((e) => (e.kind as { FunctionCall?: unknown }).FunctionCall) as {
      kind: { FunctionCall: { args: unknown } };
    };
    expect(call.kind.FunctionCall.args).toEqual(['[Proxy]', '[Proxy]', {}, [1, 2]]);
    // The summary instrumented code records (trackArgs: summary).
    expect(capturedToJson(argsFor([logged, revoked, new Sneaky(), [1, 2]], 'summary'))).toEqual([
      '[Proxy]',
      '[Proxy]',
      '[Object]',
      '[Array(2)]',
    ]);
    expect(traps).toBe(0);
    expect(constructorReads).toBe(0);
  });

  it('never runs getters of application objects', () => {
    let calls = 0;
    const obj = {
      get secret() {
        calls++;
        return 's';
      },
      plain: 1,
    };
    expect(safe(obj)).toEqual({ secret: '[Getter]', plain: 1 });
    expect(calls).toBe(0);
  });

  it('describes Maps, Sets, Dates, errors and buffers', () => {
    expect(safe(new Map([['k', 1]]))).toEqual({ '[Map]': [['k', 1]] });
    expect(safe(new Set([1]))).toEqual({ '[Set]': [1] });
    expect(safe(new Date(0))).toBe('1970-01-01T00:00:00.000Z');
    expect(safe(new RangeError('r'))).toEqual({ name: 'RangeError', message: 'r' });
    expect(safe(Buffer.alloc(3))).toBe('[Buffer(3 bytes)]');
  });
});

describe('redaction', () => {
  it('keeps values of matching variables out of events', () => {
    const c = RacewayClient.inMemory({ redact: ['users.*.password', /token/] });
    c.trackStateChange('users.alice.password', 'old', 'hunter2', 'Write');
    c.trackStateChange('session.token', null, 'abc', 'Write');
    c.trackStateChange('users.alice.name', 'a', 'b', 'Write');
    const values = c.memoryEvents().map((e: any) => e.kind.StateChange.new_value);
    expect(values).toEqual(['[redacted]', '[redacted]', 'b']);
  });

  it('records no values at all with captureValues: false', () => {
    const c = RacewayClient.inMemory({ captureValues: false });
    c.trackStateChange('x', 1, 2, 'Write');
    expect(c.memoryEvents()[0]).toMatchObject({ kind: { StateChange: { old_value: null, new_value: null } } });
  });
});

describe('options', () => {
  it('rejects unknown options and wrong types with a clear message', () => {
    expect(() => new RacewayClient({ endpoit: 'x' } as never)).toThrow(/unknown option "endpoit"/);
    expect(() => new RacewayClient({ batchSize: 0 })).toThrow(RacewayConfigError);
    expect(() => new RacewayClient({ endpoint: 'ftp://x' })).toThrow(/http\(s\) URL/);
    expect(() => new RacewayClient({ endpoint: 'not a url' })).toThrow(/not a URL/);
  });

  it('reads RACEWAY_* variables', () => {
    expect(
      optionsFromEnv({
        RACEWAY_ENDPOINT: 'http://c:1',
        RACEWAY_SERVICE_NAME: 's',
        RACEWAY_API_KEY: 'k',
        RACEWAY_MODULE: 'm',
        RACEWAY_INSTANCE_ID: 'i',
        RACEWAY_ENABLED: 'false',
        RACEWAY_FLUSH_INTERVAL_MS: '250',
        RACEWAY_MAX_QUEUE: '50000',
        RACEWAY_MAX_BACKLOG_BYTES: '0',
      }),
    ).toEqual({
      flushIntervalMs: 250,
      maxQueue: 50_000,
      maxBacklogBytes: 0,
      endpoint: 'http://c:1',
      serviceName: 's',
      apiKey: 'k',
      module: 'm',
      instanceId: 'i',
      enabled: false,
    });
    expect(() => optionsFromEnv({ RACEWAY_ENABLED: 'maybe' })).toThrow(/RACEWAY_ENABLED/);
    expect(() => optionsFromEnv({ RACEWAY_MAX_QUEUE: '1e3x' })).toThrow(/RACEWAY_MAX_QUEUE must be a positive integer/);
    expect(() => optionsFromEnv({ RACEWAY_MAX_QUEUE: '-5' })).toThrow(/RACEWAY_MAX_QUEUE/);
    expect(() => optionsFromEnv({ RACEWAY_MAX_BACKLOG_BYTES: '16M' })).toThrow(
      /RACEWAY_MAX_BACKLOG_BYTES must be a non-negative integer/,
    );
    expect(() => new RacewayClient({ maxBacklogBytes: -1 })).toThrow(
      /"maxBacklogBytes" must be a non-negative integer/,
    );
  });

  it("takes the endpoint as people write it: host:port means http, the /events path is the server's", () => {
    expect(normalizeEndpoint('127.0.0.1:18080')).toBe('http://127.0.0.1:18080');
    expect(normalizeEndpoint('localhost:8080')).toBe('http://localhost:8080');
    expect(normalizeEndpoint('http://collector:8080/events')).toBe('http://collector:8080');
    expect(normalizeEndpoint('https://example.com/raceway/events/')).toBe('https://example.com/raceway');
    expect(normalizeEndpoint('http://c:1/')).toBe('http://c:1');
    expect(() => normalizeEndpoint('ftp://c:1')).toThrow(/http\(s\)/);
    expect(() => normalizeEndpoint('http://')).toThrow(/base URL/);
  });

  it('a bad environment turns tracking off with one line instead of crashing the app; mistakes in code still throw', () => {
    const messages: string[] = [];
    const saved = { ...process.env };
    try {
      process.env.RACEWAY_ENABLED = 'maybe';
      const c = RacewayClient.fromEnv({
        serviceName: 'shop',
        onDiagnostic: (_code, message) => messages.push(message),
      });
      expect(c.enabled).toBe(false);
      expect(messages.join('\n')).toMatch(/RACEWAY_ENABLED must be true or false.*tracking is off/);
      expect(() => RacewayClient.fromEnv({ serviceName: 42 as unknown as string })).toThrow(/serviceName/);
    } finally {
      process.env = saved;
      replaceDefaultClient(undefined);
    }
  });

  it('refuses propagationHeaders outside a context, and builds them inside one', async () => {
    const c = RacewayClient.inMemory({ serviceName: 'p' });
    replaceDefaultClient(c);
    expect(() => c.propagationHeaders()).toThrow(RacewayContextError);
    const headers = await c.startTrace('job', async () =>
      c.propagationHeaders({ 'x-extra': '1', traceparent: 'mine' }),
    );
    expect(headers['raceway-clock']).toMatch(/^v1;[A-Za-z0-9_-]+$/);
    expect(headers.traceparent).toBe('mine');
    expect(headers['x-extra']).toBe('1');
  });
});

describe('tracking calls never throw into the app', () => {
  it('survives hostile values and arguments', () => {
    const c = RacewayClient.inMemory();
    const hostile = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('trap');
        },
        get() {
          throw new Error('trap');
        },
      },
    );
    c.trackStateChange('x', hostile, hostile, 'Write');
    c.trackStateChange(undefined as never, 1, 2, 'Bogus' as never);
    c.trackFunctionCall('f', hostile);
    // Recorded, with the proxy summarised (no trap ran) and nonsense arguments made into a valid event.
    expect(c.memoryEvents().map((e) => e.kind)).toEqual([
      {
        StateChange: { variable: 'x', old_value: '[Proxy]', new_value: '[Proxy]', location: '', access_type: 'Write' },
      },
      { StateChange: { variable: 'undefined', old_value: 1, new_value: 2, location: '', access_type: 'Write' } },
      { FunctionCall: { function_name: 'f', module: 'app', args: '[Proxy]', file: '', line: 0 } },
    ]);
  });
});
