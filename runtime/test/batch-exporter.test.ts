import { afterEach, describe, expect, it } from 'vitest';
import type { CompactBatch, CompactRunsBatch } from '@raceway/protocol';
import { COMPACT_RUNS_VERSION, decodeCompactBatch, isCompactBatch } from '@raceway/protocol';
import { BatchExporter } from '../src/export/batch-exporter.js';
import { resetDiagnostics, setDiagnosticHandler } from '../src/diag/diagnostics.js';
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
  readonly sends: Array<{ at: number; events: number; timeoutMs: number; compact: boolean }> = [];
  /** The sequence numbers of the events POSTed, in the order they went. */
  readonly seqs: number[] = [];
  /** Answers in order; `'hang'` never answers; `'hold'` answers when the test calls the resolver it leaves in `held`. Then `fallback`. */
  script: Array<SendResult | 'hang' | 'hold'> = [];
  readonly held: Array<(result: SendResult) => void> = [];
  fallback: SendResult = { kind: 'ok' };
  shutDown = false;

  constructor(private readonly clock: FakeClock) {}

  send(body: Buffer, timeoutMs: number): Promise<SendResult> {
    const parsed = JSON.parse(body.toString('utf8')) as { events: Array<{ id: string }> };
    const events = isCompactBatch(parsed)
      ? decodeCompactBatch(parsed as unknown as CompactBatch | CompactRunsBatch).map((e) => e!)
      : parsed.events;
    // An event id ends in its sequence number (15 hex digits; see the protocol's eventIdOf).
    for (const e of events) this.seqs.push(parseInt(e.id.replace(/-/g, '').slice(-15), 16));
    this.sends.push({ at: this.clock.now(), events: events.length, timeoutMs, compact: isCompactBatch(parsed) });
    const answer = this.script.shift() ?? this.fallback;
    if (answer === 'hold') return new Promise((resolve) => this.held.push(resolve));
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
      transport.sends.push({ at: clock.now(), events: 10, timeoutMs: 0, compact: false });
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

describe('backlog of encoded batches', () => {
  /** Compact batches negotiated (first POST answered as `raceway serve` does), then the next POST held. */
  async function slowCollector(maxBacklogBytes: number, overrides: Partial<typeof config> = {}) {
    const s = setup({ maxQueue: 1000, ...overrides, maxBacklogBytes } as Partial<typeof config>);
    s.transport.fallback = { kind: 'ok', compact: COMPACT_RUNS_VERSION };
    s.record(10);
    await s.clock.advance(0);
    expect(s.transport.sends).toEqual([expect.objectContaining({ events: 10, compact: false })]);
    s.transport.script = ['hold'];
    s.record(100); // a compact POST's worth (10 × batchSize): sent at once, and held
    await s.clock.advance(0);
    expect(s.transport.held).toHaveLength(1);
    /** Records `n` events, letting the batcher's timers run every 50 as an app's event loop would. */
    const recordWhileHeld = async (n: number) => {
      for (let done = 0; done < n; done += 50) {
        s.record(Math.min(50, n - done));
        await s.clock.advance(0);
      }
    };
    return { ...s, recordWhileHeld };
  }

  it('holds what a slow collector has not taken yet as encoded batches, and sends all of it in order', async () => {
    const { clock, transport, exporter, recordWhileHeld } = await slowCollector(1 << 20);
    await recordWhileHeld(5000); // five times the queue
    const held = exporter.stats();
    expect(held).toMatchObject({ dropped: 0, queued: 5100 });
    expect(held.backlogBytes).toBeGreaterThan(0);
    transport.held[0]!({ kind: 'ok', compact: COMPACT_RUNS_VERSION });
    await clock.advance(1000);
    expect(exporter.stats()).toMatchObject({ sent: 5110, dropped: 0, queued: 0, backlogBytes: 0 });
    expect(exporter.stats().backlogPeakBytes).toBe(held.backlogBytes);
    // Every event once, in the order recorded (the backlog goes before what is still queued).
    expect(transport.seqs).toEqual([...transport.seqs].sort((a, b) => a - b));
    expect(new Set(transport.seqs).size).toBe(5110);
  });

  it('without a backlog (maxBacklogBytes 0), the queue alone holds them and the rest are dropped', async () => {
    const { clock, transport, exporter, recordWhileHeld } = await slowCollector(0);
    await recordWhileHeld(5000);
    const { dropped } = exporter.stats();
    expect(dropped).toBe(4000); // all but the queue's 1 000
    transport.held[0]!({ kind: 'ok', compact: COMPACT_RUNS_VERSION });
    await clock.advance(1000);
    expect(exporter.stats()).toMatchObject({ sent: 5110 - dropped, dropped, queued: 0 });
  });

  it('stops encoding ahead at maxBacklogBytes: then the queue fills and drops as before', async () => {
    const said: string[] = [];
    resetDiagnostics();
    setDiagnosticHandler((code, message) => said.push(`${code}: ${message}`));
    const { clock, transport, exporter, recordWhileHeld } = await slowCollector(2000);
    await recordWhileHeld(5000);
    setDiagnosticHandler(() => undefined);
    // The drop is said with why the backlog did not take it.
    expect(said).toEqual([
      expect.stringMatching(/^queue-full: .*its backlog of encoded batches full \(\d+ bytes, maxBacklogBytes 2000\)/),
    ]);
    const { dropped, queued } = exporter.stats();
    // One body of 250 events passes 2 000 bytes: the backlog stops there, the queue holds up to its size.
    expect(queued).toBeLessThanOrEqual(100 + 250 + 1000);
    expect(queued).toBeGreaterThan(100 + 1000);
    expect(dropped).toBe(5100 - queued);
    transport.held[0]!({ kind: 'ok', compact: COMPACT_RUNS_VERSION });
    await clock.advance(1000);
    expect(exporter.stats()).toMatchObject({ sent: 5110 - dropped, dropped, queued: 0 });
  });

  it('keeps no backlog for a collector that does not answer: the queue bounds what is held', async () => {
    const { clock, transport, exporter, record } = setup({ maxQueue: 1000, maxBacklogBytes: 1 << 20 } as Partial<
      typeof config
    >);
    transport.fallback = { kind: 'ok', compact: COMPACT_RUNS_VERSION };
    record(10);
    await clock.advance(0);
    transport.script = [{ kind: 'retryable', reason: 'connect ECONNREFUSED' }, 'hold'];
    record(100);
    await clock.advance(0);
    for (let i = 0; i < 100; i++) {
      record(50);
      await clock.advance(1);
    }
    expect(exporter.stats().queued).toBeLessThanOrEqual(1100);
    expect(exporter.stats().dropped).toBeGreaterThan(3000);
  });

  it('sends its backlog again as standard events when the collector behind the endpoint stops reading compact batches', async () => {
    const { clock, transport, exporter, recordWhileHeld } = await slowCollector(1 << 20);
    await recordWhileHeld(2000);
    expect(exporter.stats().backlogBytes).toBeGreaterThan(0);
    transport.fallback = { kind: 'rejected', reason: 'HTTP 400', status: 400 };
    transport.held[0]!({ kind: 'ok', compact: COMPACT_RUNS_VERSION });
    // Every compact body is refused, then its events go as standard ones, which this collector takes.
    const send = transport.send.bind(transport);
    transport.send = (body, timeoutMs) => {
      const compact = isCompactBatch(JSON.parse(body.toString('utf8')));
      transport.fallback = compact ? { kind: 'rejected', reason: 'HTTP 400', status: 400 } : { kind: 'ok' };
      return send(body, timeoutMs);
    };
    await clock.advance(5000);
    expect(exporter.stats()).toMatchObject({ sent: 2110, dropped: 0, queued: 0, backlogBytes: 0 });
    expect(new Set(transport.seqs).size).toBe(2110);
    expect(transport.sends.at(-1)).toMatchObject({ compact: false });
  });

  it('counts a backlog the collector never takes as dropped at shutdown', async () => {
    const { clock, exporter, recordWhileHeld } = await slowCollector(1 << 20);
    await recordWhileHeld(3000);
    const done = exporter.shutdown();
    await clock.advance(config.shutdownTimeoutMs);
    await done;
    expect(exporter.stats()).toMatchObject({ sent: 10, dropped: 3100, queued: 0 });
  });

  it('still sends its backlog after handing its queue over to another client', async () => {
    const { clock, transport, exporter, recordWhileHeld } = await slowCollector(1 << 20);
    await recordWhileHeld(3000);
    const handed = exporter.surrender();
    const backlog = 3100 - handed.length;
    expect(backlog).toBeGreaterThan(1000);
    transport.held[0]!({ kind: 'ok', compact: COMPACT_RUNS_VERSION });
    await clock.advance(0);
    expect(exporter.stats()).toMatchObject({ sent: 10 + backlog, dropped: 0, queued: 0 });
    expect(transport.shutDown).toBe(true);
  });
});
