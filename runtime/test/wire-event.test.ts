import { describe, expect, it } from 'vitest';
import { RacewayClient } from '../src/index.js';

describe('the wire JSON of a state change', () => {
  it('is the JSON of its fields, whatever the names and values', async () => {
    const client = RacewayClient.inMemory({ serviceName: 'wire', redact: ['secret*'] });
    const odd = 'a "quoted" \\ name\u2028é\u0000';
    const proto = JSON.parse('{"__proto__":{"x":1},"own":true}') as object;
    const cases: Array<[string, unknown, unknown, 'Read' | 'Write', string]> = [
      ['accounts.alice.balance', 100, 90, 'Write', 'src/a.ts:1:1'],
      ['requests', 7, 7, 'Read', 'src/a.ts:2:1'],
      [odd, 'x"y', undefined, 'Write', `src/${odd}.ts:3:1`],
      ['cfg', proto, proto, 'Read', 'src/a.ts:4:1'],
      ['secretToken', 'abc', 'def', 'Write', 'src/a.ts:5:1'],
      ['big', 10n, Symbol('s'), 'Write', 'src/a.ts:6:1'],
      ['list', [1, [2, { three: 3 }]], null, 'Write', 'src/a.ts:7:1'],
    ];
    await client.startTrace('t', async () => {
      for (const [name, before, after, access, location] of cases)
        client.trackStateChange(name, before, after, access, location);
    });
    const changes = client.memoryEvents().filter((e) => 'StateChange' in (e.kind as object));
    expect(changes.map((e) => (e.kind as { StateChange: unknown }).StateChange)).toEqual([
      {
        variable: 'accounts.alice.balance',
        old_value: 100,
        new_value: 90,
        location: 'src/a.ts:1:1',
        access_type: 'Write',
      },
      { variable: 'requests', old_value: 7, new_value: 7, location: 'src/a.ts:2:1', access_type: 'Read' },
      { variable: odd, old_value: 'x"y', new_value: null, location: `src/${odd}.ts:3:1`, access_type: 'Write' },
      { variable: 'cfg', old_value: proto, new_value: proto, location: 'src/a.ts:4:1', access_type: 'Read' },
      {
        variable: 'secretToken',
        old_value: '[redacted]',
        new_value: '[redacted]',
        location: 'src/a.ts:5:1',
        access_type: 'Write',
      },
      { variable: 'big', old_value: '10n', new_value: 'Symbol(s)', location: 'src/a.ts:6:1', access_type: 'Write' },
      {
        variable: 'list',
        old_value: [1, [2, { three: 3 }]],
        new_value: null,
        location: 'src/a.ts:7:1',
        access_type: 'Write',
      },
    ]);
    const cfg = (changes[3]!.kind as { StateChange: { old_value: object } }).StateChange.old_value;
    expect(Object.hasOwn(cfg, '__proto__')).toBe(true);
  });
});
