import { afterEach, describe, expect, it } from 'vitest';
import { BatchExporter } from '../src/export/batch-exporter.js';
import { MAX_ATTEMPTS } from '../src/export/retry-policy.js';
import type { SendResult, Transport } from '../src/export/transport.js';
import { Redactor } from '../src/export/wire-event.js';
import { Recorder } from '../src/record/recorder.js';
import { FakeClock, settle } from './helpers/fake-clock.js';

/**
 * The sender's layers (batcher → retrying transport → transport) driven by a fake clock and a scripted
 * transport: intervals, backoff, Retry-After, splitting and deadlines, with no socket and no waiting.
 */
class ScriptedTransport implements Transport {
  readonly sends: Array<{ at: number; events: number; timeoutMs: number }> = [];
  /** Answers in order; `'hang'` never answers. Then `fallback`. */
  script: Array<SendResult | 'hang'> = [];
  fallback: SendResult = { kind: 'ok' };
  shutDown = false;

  constructor(private readonly clock: FakeClock) {}

  send(body: Buffer, timeoutMs: number): Promise<SendResult> {
    const events = (JSON.parse(body.toString('utf8')) as { events: unknown[] }).events.length;
    this.sends.push({ at: this.clock.now(), events, timeoutMs });
    const answer = this.script.shift() ?? this.fallback;
    return answer === 'hang' ? new Promise(() => undefined) : Promise.resolve(answer);
  }

  shutdown(): void {
    this.shutDown = true;
  }
}

const identity = { serviceName: 'svc', environment: 'test', instanceId: 'host-1', module: 'app' };
const config = {
  batchSize: 10,
  maxQueue: 1000,
  flushIntervalMs: 1000,
  requestTimeoutMs: 5000,
  shutdownTimeoutMs: 3000,
};

const made: BatchExporter[] = [];
afterEach(() => {
  for (const e of made.splice(0)) e.surrender();
});

function setup(overrides: Partial<typeof config> = {}) {
  const clock = new FakeClock();
  const transport = new ScriptedTransport(clock);
  const exporter = new BatchExporter(transport, identity, new Redactor([]), { ...config, ...overrides }, clock);
  made.push(exporter);
  const recorder = new Recorder(exporter, true, true);
  const record = (n: number) => {
    for (let i = 0; i < n; i++) recorder.stateChange('x', i, i + 1, 'Write', 'a.ts:1:1');
  };
  return { clock, transport, exporter, record };
}

describe('batcher', () => {
  it('sends what is queued when the flush interval passes, not before', async () => {
    const { clock, transport, exporter, record } = setup();
    record(3);
    await clock.advance(999);
    expect(transport.sends).toEqual([]);
    await clock.advance(1);
    expect(transport.sends.map((s) => s.events)).toEqual([3]);
    expect(exporter.stats()).toMatchObject({ sent: 3, dropped: 0, queued: 0 });
  });

  it('sends a full batch at once, without waiting for the interval', async () => {
    const { clock, transport, record } = setup();
    record(10);
    await clock.advance(0);
    expect(transport.sends.map((s) => s.events)).toEqual([10]);
  });

  it('after a full batch, leaves fewer than a batch for the next interval instead of posting them at once', async () => {
    const { clock, transport, record } = setup();
    record(15);
    await clock.advance(0);
    expect(transport.sends.map((s) => s.events)).toEqual([10]);
    await clock.advance(999);
    expect(transport.sends.map((s) => s.events)).toEqual([10]);
    await clock.advance(1);
    expect(transport.sends.map((s) => s.events)).toEqual([10, 5]);
  });

  it('closes its transport when surrendered: at once when idle, else once the batch being sent is answered', async () => {
    const idle = setup();
    idle.exporter.surrender();
    expect(idle.transport.shutDown).toBe(true);

    const { clock, transport, exporter, record } = setup();
    let answer: (result: SendResult) => void = () => undefined;
    transport.send = (body: Buffer) => {
      transport.sends.push({ at: clock.now(), events: 10, timeoutMs: 0 });
      void body;
      return new Promise<SendResult>((resolve) => (answer = resolve));
    };
    record(10);
    await clock.advance(0);
    expect(transport.sends).toHaveLength(1);
    exporter.surrender();
    await settle();
    expect(transport.shutDown).toBe(false);
    answer({ kind: 'ok' });
    await settle();
    expect(transport.shutDown).toBe(true);
  });
});

describe('retrying transport', () => {
  it('retries a refused POST after a backoff, and counts the retry', async () => {
    const { clock, transport, exporter, record } = setup();
    transport.script = [{ kind: 'retryable', reason: 'HTTP 503' }];
    record(10);
    await clock.advance(0);
    expect(transport.sends).toHaveLength(1);
    // The first backoff is 250 ms ± 20 %: nothing before 200 ms, the retry by 300 ms.
    await clock.advance(199);
    expect(transport.sends).toHaveLength(1);
    await clock.advance(101);
    expect(transport.sends).toHaveLength(2);
    expect(exporter.stats()).toMatchObject({ sent: 10, dropped: 0, retried: 1 });
  });

  it("waits as long as the collector's Retry-After says", async () => {
    const { clock, transport, record } = setup();
    transport.script = [{ kind: 'retryable', reason: 'HTTP 429', retryAfterMs: 2000 }];
    record(10);
    await clock.advance(1999);
    expect(transport.sends).toHaveLength(1);
    await clock.advance(1);
    expect(transport.sends.map((s) => s.at - transport.sends[0]!.at)).toEqual([0, 2000]);
  });

  it(`gives a batch up after ${MAX_ATTEMPTS} attempts and counts its events as dropped`, async () => {
    const { clock, transport, exporter, record } = setup();
    transport.fallback = { kind: 'retryable', reason: 'connection refused' };
    record(10);
    await clock.advance(60_000);
    expect(transport.sends).toHaveLength(MAX_ATTEMPTS);
    expect(exporter.stats()).toMatchObject({ sent: 0, dropped: 10, retried: MAX_ATTEMPTS - 1, queued: 0 });
  });

  it('splits a body the collector finds too large, down to single events', async () => {
    const { clock, transport, exporter, record } = setup();
    // The whole batch, then its first half, are too large; the second half and each quarter pass.
    transport.script = [{ kind: 'too-large' }, { kind: 'too-large' }];
    record(8);
    await clock.advance(1000);
    expect(transport.sends.map((s) => s.events)).toEqual([8, 4, 2, 2, 4]);
    expect(exporter.stats()).toMatchObject({ sent: 8, dropped: 0 });
  });

  it('drops a batch the collector rejects (bad key, invalid body) without retrying', async () => {
    const { clock, transport, exporter, record } = setup();
    transport.script = [{ kind: 'rejected', reason: 'HTTP 401' }];
    record(10);
    await clock.advance(10_000);
    expect(transport.sends).toHaveLength(1);
    expect(exporter.stats()).toMatchObject({ sent: 0, dropped: 10, retried: 0 });
  });
});

describe('shutdown', () => {
  it('flushes within its deadline and counts what a collector that never answers still holds', async () => {
    const { clock, transport, exporter, record } = setup();
    transport.script = ['hang'];
    record(10);
    await clock.advance(0);
    record(5);
    const done = exporter.shutdown();
    await clock.advance(2999);
    let finished = false;
    void done.then(() => (finished = true));
    await settle();
    expect(finished).toBe(false);
    await clock.advance(1);
    await done;
    expect(exporter.stats()).toMatchObject({ sent: 0, dropped: 15, queued: 0 });
    expect(transport.shutDown).toBe(true);
    // The request in flight was given no more time than the deadline left.
    expect(transport.sends[0]!.timeoutMs).toBe(config.requestTimeoutMs);
  });

  it('stops retrying at the deadline instead of waiting out a backoff', async () => {
    const { clock, transport, exporter, record } = setup({ shutdownTimeoutMs: 1000 });
    transport.script = [{ kind: 'retryable', reason: 'HTTP 503', retryAfterMs: 5000 }];
    record(3);
    const done = exporter.shutdown();
    await clock.advance(1000);
    await done;
    expect(transport.sends).toHaveLength(1);
    expect(exporter.stats()).toMatchObject({ sent: 0, dropped: 3 });
  });
});
