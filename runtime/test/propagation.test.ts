import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VectorClock } from '../src/clock/vector-clock.js';
import { newRootTask, newTrace } from '../src/context/storage.js';
import { buildOutgoing, extractIncoming } from '../src/propagation/headers.js';
import { newSpanId, newTraceId, traceIdToUuid, uuidToTraceId } from '../src/propagation/ids.js';
import { CLOCK_HEADER_BUDGET, decodeRacewayClock, encodeRacewayClock } from '../src/propagation/raceway-clock.js';
import { formatTraceparent, parseTraceparent } from '../src/propagation/traceparent.js';
import { parseTracestate } from '../src/propagation/tracestate.js';

const W3C_EXAMPLE = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('traceparent', () => {
  it('parses the W3C example and writes the trace id in UUID form', () => {
    const parsed = parseTraceparent(W3C_EXAMPLE)!;
    expect(parsed).toEqual({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', flags: '01' });
    expect(traceIdToUuid(parsed.traceId)).toBe('0af76519-16cd-43dd-8448-eb211c80319c');
    expect(uuidToTraceId('0af76519-16cd-43dd-8448-eb211c80319c')).toBe(parsed.traceId);
    expect(formatTraceparent(parsed.traceId, parsed.spanId)).toBe(W3C_EXAMPLE);
  });

  const invalid: Array<[string, unknown]> = [
    ['not a string', 42],
    ['too long', `00-${'a'.repeat(600)}`],
    ['too few fields', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331'],
    ['version ff', 'ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'],
    ['uppercase hex', '00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01'],
    ['all-zero trace id', '00-00000000000000000000000000000000-b7ad6b7169203331-01'],
    ['all-zero span id', '00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01'],
    ['short trace id', '00-0af7651916cd43dd8448eb211c8031-b7ad6b7169203331-01'],
    ['short span id', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b71692033-01'],
    ['bad flags', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0x'],
    ['version 00 with extra field', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra'],
  ];
  it.each(invalid)('rejects %s', (_why, header) => {
    expect(parseTraceparent(header)).toBeUndefined();
  });

  it('accepts a future version with extra fields, keeping the known ones', () => {
    expect(parseTraceparent('01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-future')?.spanId).toBe(
      'b7ad6b7169203331',
    );
  });

  it('never throws and only accepts what it can format back (fuzz)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.anything()), (input) => {
        const parsed = parseTraceparent(input);
        if (parsed)
          expect(parseTraceparent(formatTraceparent(parsed.traceId, parsed.spanId, parsed.flags))).toEqual(parsed);
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips every valid id pair (property)', () => {
    const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));
    fc.assert(
      fc.property(hex(32), hex(16), (traceId, spanId) => {
        const parsed = parseTraceparent(formatTraceparent(traceId, spanId));
        const zero = /^0+$/;
        expect(parsed === undefined).toBe(zero.test(traceId) || zero.test(spanId));
      }),
    );
  });
});

describe('trace and span ids', () => {
  it('are lowercase hex of the right length, non-zero and distinct across many refills of the random pool', () => {
    // 3 000 trace ids and 3 000 span ids, drawn alternately as requests do, take 72 000 random bytes: the
    // 4 KiB pool is refilled ~17 times, at offsets that a trace id does not fit exactly.
    const traces: string[] = [];
    const spans: string[] = [];
    for (let i = 0; i < 3000; i++) {
      traces.push(newTraceId());
      spans.push(newSpanId());
    }
    for (const id of traces) expect(id).toMatch(/^[0-9a-f]{32}$/);
    for (const id of spans) expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(new Set(traces).size).toBe(traces.length);
    expect(new Set(spans).size).toBe(spans.length);
    expect(traces).not.toContain('0'.repeat(32));
    // A traceparent made of them is valid W3C.
    expect(parseTraceparent(formatTraceparent(traces[0]!, spans[0]!))).toEqual({
      traceId: traces[0],
      spanId: spans[0],
      flags: '01',
    });
  });
});

describe('tracestate', () => {
  it('passes a valid list through and drops invalid ones', () => {
    expect(parseTracestate('congo=t61rcWkgMzE,rojo=00f067aa0ba902b7')).toBe('congo=t61rcWkgMzE,rojo=00f067aa0ba902b7');
    expect(parseTracestate(['a=1', 'b=2'])).toBe('a=1,b=2');
    expect(parseTracestate('Bad=1')).toBeUndefined();
    expect(parseTracestate(Array.from({ length: 33 }, (_, i) => `k${i}=v`).join(','))).toBeUndefined();
    expect(parseTracestate(`a=${'x'.repeat(600)}`)).toBeUndefined();
  });

  const range = (from: number, to: number) =>
    String.fromCharCode(...Array.from({ length: to - from + 1 }, (_, i) => from + i));
  const LEGAL_KEY = `${range(0x61, 0x7a)}0123456789_-*/`;
  const LEGAL_VALUE = range(0x20, 0x2b) + range(0x2d, 0x3c) + range(0x3e, 0x7e);
  // The processing model of trace-context levels 1 and 2, as a table: input header(s) → what is passed on.
  const table: Array<[string, string | string[], string | undefined]> = [
    ['a duplicated key keeps its first member', 'foo=1,foo=1', 'foo=1'],
    ['a duplicated key with another value keeps the first', 'foo=1,foo=2', 'foo=1'],
    ['duplicates across repeated headers', ['foo=1', 'foo=2'], 'foo=1'],
    [
      'members keep their order across headers',
      ['foo=1,bar=2', 'rojo=1,congo=2', 'baz=3'],
      'foo=1,bar=2,rojo=1,congo=2,baz=3',
    ],
    ['an empty header among others is ignored', ['foo=1', ''], 'foo=1'],
    ['an empty header alone is no tracestate', '', undefined],
    ['optional whitespace around members', 'foo=1 \t , \t bar=2, \t baz=3', 'foo=1,bar=2,baz=3'],
    ['empty members', 'foo=1,,bar=2 , ', 'foo=1,bar=2'],
    ['a 256-character key', `${'z'.repeat(256)}=1`, `${'z'.repeat(256)}=1`],
    ['a 257-character key drops it all', ['foo=1', `${'z'.repeat(257)}=1`], undefined],
    [
      'a multi-tenant key at its limits (241 @ 14)',
      ['foo=1', `${'t'.repeat(241)}@${'v'.repeat(14)}=1`],
      `foo=1,${'t'.repeat(241)}@${'v'.repeat(14)}=1`,
    ],
    ['a tenant of 242 drops it all', ['foo=1', `${'t'.repeat(242)}@v=1`], undefined],
    ['a vendor of 15 drops it all', ['foo=1', `t@${'v'.repeat(15)}=1`], undefined],
    ['an illegal vendor format drops it all', 'foo@=1,bar=2', undefined],
    ['a key in upper case drops it all', 'FOO=1', undefined],
    ['a key with a space drops it all', 'foo =1', undefined],
    ['a key with a dot drops it all', 'foo.bar=1', undefined],
    [
      '32 members pass',
      Array.from({ length: 32 }, (_, i) => `bar${i}=${i}`).join(','),
      Array.from({ length: 32 }, (_, i) => `bar${i}=${i}`).join(','),
    ],
    ['33 members drop it all', Array.from({ length: 33 }, (_, i) => `bar${i}=${i}`).join(','), undefined],
    [
      'every legal key and value character',
      `${LEGAL_KEY}@a-z0-9_-*/=${LEGAL_VALUE}`,
      `${LEGAL_KEY}@a-z0-9_-*/=${LEGAL_VALUE}`,
    ],
  ];
  for (const [name, input, expected] of table) {
    it(name, () => expect(parseTracestate(input)).toBe(expected));
  }

  it('never throws (fuzz)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.array(fc.anything())), (input) => void parseTracestate(input)),
      { numRuns: 3000 },
    );
  });

  it('ignores a repeated header that holds anything but strings', () => {
    expect(parseTracestate([{ toString: 0 }])).toBeUndefined();
    expect(parseTracestate(['a=1', 2])).toBeUndefined();
  });
});

describe('raceway-clock', () => {
  const header = {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    parentSpanId: '00f067aa0ba902b7',
    service: 'gateway',
    instance: 'gw-1',
    clock: [
      ['gateway#gw-1', 3],
      ['inventory#inv-1', 1],
    ] as Array<[string, number]>,
  };

  it('encodes v1; + unpadded base64url JSON with the wire field names', () => {
    const encoded = encodeRacewayClock(header);
    expect(encoded.startsWith('v1;')).toBe(true);
    expect(encoded).not.toContain('=');
    const json = JSON.parse(Buffer.from(encoded.slice(3), 'base64url').toString());
    expect(json).toEqual({
      trace_id: '0af76519-16cd-43dd-8448-eb211c80319c',
      span_id: 'b7ad6b7169203331',
      parent_span_id: '00f067aa0ba902b7',
      service: 'gateway',
      instance: 'gw-1',
      clock: [
        ['gateway#gw-1', 3],
        ['inventory#inv-1', 1],
      ],
    });
    expect(decodeRacewayClock(encoded)).toEqual(header);
  });

  it('writes exactly the JSON of the header object, whatever the strings hold and whichever fields are missing', () => {
    const cases = [
      header,
      { ...header, parentSpanId: undefined, service: undefined },
      {
        ...header,
        spanId: undefined,
        instance: 'i "quoted" \\ \u2028 é \u0000',
        clock: [['a"b', 1]] as Array<[string, number]>,
      },
      { ...header, clock: [] },
    ];
    for (const h of cases) {
      const text = Buffer.from(encodeRacewayClock(h).slice(3), 'base64url').toString();
      expect(text).toBe(
        JSON.stringify({
          trace_id: '0af76519-16cd-43dd-8448-eb211c80319c',
          span_id: h.spanId,
          parent_span_id: h.parentSpanId,
          service: h.service,
          instance: h.instance,
          clock: h.clock,
        }),
      );
      expect(decodeRacewayClock(encodeRacewayClock(h))?.clock).toEqual(h.clock);
    }
  });

  it('reads a header written by another SDK (hand-built JSON, padded base64 too)', () => {
    const json = JSON.stringify({
      trace_id: '0AF76519-16CD-43DD-8448-EB211C80319C',
      span_id: 'b7ad6b7169203331',
      parent_span_id: null,
      service: 'py',
      instance: 'i',
      clock: [['py#i', 7]],
    });
    const padded = `v1;${Buffer.from(json).toString('base64')}`.replace(/\+/g, '-').replace(/\//g, '_');
    const decoded = decodeRacewayClock(padded)!;
    expect(decoded.traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(decoded.clock).toEqual([['py#i', 7]]);
    expect(decoded.parentSpanId).toBeUndefined();
  });

  it.each([
    ['another version', 'v2;e30'],
    ['bad base64', 'v1;***'],
    ['bad JSON', `v1;${Buffer.from('{not json').toString('base64url')}`],
    ['no trace id', `v1;${Buffer.from('{"clock":[]}').toString('base64url')}`],
    [
      'clock pairs of the wrong shape',
      `v1;${Buffer.from('{"trace_id":"0af76519-16cd-43dd-8448-eb211c80319c","clock":[["a",1,2]]}').toString('base64url')}`,
    ],
    [
      'negative counters',
      `v1;${Buffer.from('{"trace_id":"0af76519-16cd-43dd-8448-eb211c80319c","clock":[["a",-1]]}').toString('base64url')}`,
    ],
  ])('ignores the whole header on %s', (_why, value) => {
    expect(decodeRacewayClock(value)).toBeUndefined();
  });

  it('never throws on arbitrary input, with or without the prefix (fuzz)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string().map((s) => `v1;${s}`),
          fc.json().map((j) => `v1;${Buffer.from(j).toString('base64url')}`),
        ),
        (input) => {
          void decodeRacewayClock(input);
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('propagating a trace through A → B → C', () => {
  it('continues one trace, chains spans and carries causality across hops', () => {
    const a = newRootTask(newTrace());
    const toB = buildOutgoing(a, 'A', 'a1');
    const inB = extractIncoming((name) => toB[name]);
    const b = newRootTask(newTrace(inB.trace), inB.clock);
    const toC = buildOutgoing(b, 'B', 'b1');
    const inC = extractIncoming((name) => toC[name]);
    const c = newRootTask(newTrace(inC.trace), inC.clock);

    expect(b.trace.traceId).toBe(a.trace.traceId);
    expect(c.trace.traceId).toBe(a.trace.traceId);
    expect(b.trace.upstreamSpanId).toBe(a.trace.spanId);
    expect(c.trace.upstreamSpanId).toBe(b.trace.spanId);
    expect(b.trace.spanId).toBe(parseTraceparent(toB.traceparent)!.spanId);
    // What A did before calling out is in C's past; A's later work is not.
    expect(c.clock.get(a.id)).toBe(1);
    expect(a.clock.get(a.id)).toBe(2);
    expect(c.clock.get(b.id)).toBe(1);
  });

  it('starts a new trace on a bad traceparent and no raceway-clock', () => {
    const incoming = extractIncoming((name) => (name === 'traceparent' ? 'garbage' : undefined));
    expect(incoming.trace).toBeUndefined();
  });

  it('passes tracestate on unchanged', () => {
    const incoming = extractIncoming((name) => ({ traceparent: W3C_EXAMPLE, tracestate: 'congo=t61rcWkgMzE' })[name]);
    const task = newRootTask(newTrace(incoming.trace));
    expect(buildOutgoing(task, 's', 'i').tracestate).toBe('congo=t61rcWkgMzE');
  });

  it('keeps the clock header under its budget however many components the clock has', () => {
    const task = newRootTask(newTrace());
    task.clock = task.clock.merge(
      VectorClock.fromPairs(
        Array.from({ length: 2000 }, (_, i) => [`service-${i}#instance-${i}`, i + 1] as [string, number]),
      ),
    );
    const headers = buildOutgoing(task, 'big', 'b1');
    expect(headers['raceway-clock']!.length).toBeLessThanOrEqual(CLOCK_HEADER_BUDGET);
    const decoded = decodeRacewayClock(headers['raceway-clock'])!;
    expect(new Map(decoded.clock).get(task.id)).toBe(1);
    expect(decoded.clock.length).toBeGreaterThan(10);
  });
});

describe('vector clocks', () => {
  it('merges by component-wise max and compares', () => {
    const a = VectorClock.fromPairs([
      ['x', 2],
      ['y', 1],
    ]);
    const b = VectorClock.fromPairs([
      ['y', 3],
      ['z', 1],
    ]);
    const m = a.merge(b);
    expect(m.toPairs().sort()).toEqual([
      ['x', 2],
      ['y', 3],
      ['z', 1],
    ]);
    expect(a.leq(m)).toBe(true);
    expect(m.leq(a)).toBe(false);
    expect(a.merge(VectorClock.fromPairs([['x', 1]]))).toBe(a);
    expect(a.tick('x').get('x')).toBe(3);
    expect(a.get('x')).toBe(2);
  });
});
