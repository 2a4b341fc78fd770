import { describe, expect, it } from 'vitest';
import { formatValue } from '../../server/ui/src/views/format-value.js';

/** Values in the web UI: short, cut between entries and never inside one, Maps and Sets readable. */
describe('formatValue', () => {
  it('shows Maps and Sets as the SDK captured them, readably', () => {
    expect(
      formatValue({
        '[Map]': [
          ['blue-mug', 1200],
          ['red-mug', 800],
        ],
      }),
    ).toBe('Map(2) {blue-mug → 1200, red-mug → 800}');
    expect(formatValue({ '[Set]': ['a', 'b'] })).toBe('Set(2) {"a", "b"}');
  });

  it('cuts long collections between entries and says how many are left out', () => {
    const stock = {
      '[Map]': [
        ['blue-mug', 1200],
        ['red-mug', 800],
        ['green-mug', 10],
        ['yellow-mug', 5],
        ['black-mug', 99],
      ],
    };
    const text = formatValue(stock, 48);
    expect(text.length).toBeLessThanOrEqual(48);
    expect(text).toMatch(/^Map\(5\) \{blue-mug → 1200, red-mug → 800, .*…\+\d+\}$/);
    expect(text).not.toMatch(/red-mu…|"red-mug…/);
    expect(
      formatValue(
        Array.from({ length: 40 }, (_, i) => i),
        30,
      ),
    ).toMatch(/^\[0, 1, .*…\+\d+\]$/);
  });

  it('keeps primitives, objects and nesting', () => {
    expect(formatValue(undefined)).toBe('undefined');
    expect(formatValue(null)).toBe('null');
    expect(formatValue('hi')).toBe('"hi"');
    expect(formatValue({ balance: 990, 'odd key': true })).toBe('{balance: 990, "odd key": true}');
    expect(formatValue({ a: { b: [1, 2] } })).toBe('{a: {b: [1, 2]}}');
    expect(formatValue('x'.repeat(100), 20)).toBe(`"${'x'.repeat(18)}…`);
  });
});
