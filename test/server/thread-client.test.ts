import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
// Internal: the ingest threads' RPC, from the built package (tests run against the build).
import { ThreadClient } from '../../server/dist/esm/ingest/thread-client.js';

const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'flaky-thread.mjs');

describe('ThreadClient', () => {
  it('matches replies to calls, passes errors on, and restarts a thread that died', async () => {
    const client = new ThreadClient(script, { role: 'parser' });
    expect(await Promise.all(['a', 'b', 'c'].map((text) => client.call({ op: 'parse', text })))).toEqual([
      'A',
      'B',
      'C',
    ]);
    await expect(client.call({ op: 'parse', text: 'throw' })).rejects.toThrow('refused');
    await expect(client.call({ op: 'parse', text: 'exit' })).rejects.toThrow(/parser thread stopped \(exit code 7\)/);
    expect(await client.call({ op: 'parse', text: 'again' })).toBe('AGAIN');
    await client.close();
    await expect(client.call({ op: 'parse', text: 'late' })).rejects.toThrow(/closed/);
  });
});
