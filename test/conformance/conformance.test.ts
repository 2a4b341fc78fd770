import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ts59 from 'typescript';
import ts60 from 'typescript6';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Case, RunResult } from './pipelines.js';
import { babelCompile, casesDir, describeEvents, formatOf, run, tscCompile } from './pipelines.js';

/**
 * Every program in cases/ is compiled by Babel + plugin, tsc 5.9 + transformer and tsc 6.0 +
 * transformer, and run with the runtime recording in memory. Each must produce the expected events,
 * the three event lists must be identical, and stdout must equal an uninstrumented build's.
 * RACEWAY_UPDATE_CONFORMANCE=1 writes missing expectation files from the Babel run (review them).
 */
const cases: Case[] = readdirSync(casesDir)
  .filter((f) => /\.(ts|tsx|mts|cts|js|mjs|cjs)$/.test(f) && !f.endsWith('.d.ts'))
  .sort()
  .map((f) => ({ name: f.replace(/\.[^.]+$/, ''), file: path.join(casesDir, f), format: formatOf(f) }));

const compiled = { plain: new Map<string, string>(), ts59: new Map<string, string>(), ts60: new Map<string, string>() };

beforeAll(() => {
  for (const format of ['esm', 'cjs'] as const) {
    for (const [k, v] of tscCompile(ts59, cases, format, false)) compiled.plain.set(k, v);
    for (const [k, v] of tscCompile(ts59, cases, format, true)) compiled.ts59.set(k, v);
    // TypeScript 6 runs the same API; its declarations are a distinct copy of 5.9's.
    for (const [k, v] of tscCompile(ts60 as unknown as typeof ts59, cases, format, true)) compiled.ts60.set(k, v);
  }
}, 120_000);

function expectations(c: Case): { events: string[]; stdout: string } | undefined {
  const file = c.file.replace(/\.[^.]+$/, '.expected.json');
  return existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as { events: string[]; stdout: string })
    : undefined;
}

function ok(result: RunResult, label: string): RunResult {
  if (result.status !== 0) throw new Error(`${label} exited ${result.status}:\n${result.stderr}`);
  return result;
}

describe('conformance corpus', () => {
  it('has at least 40 programs', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const baseline = ok(run(c, 'plain', compiled.plain.get(c.file)!), 'uninstrumented');
    const babelJs = babelCompile(c, true);
    const viaBabel = ok(run(c, 'babel', babelJs), 'babel');
    const babelOff = ok(run(c, 'babel-off', babelJs, { RACEWAY_ENABLED: 'false' }), 'babel, tracking off');
    const viaTs59 = ok(run(c, 'ts59', compiled.ts59.get(c.file)!), 'tsc 5.9');
    const viaTs60 = ok(run(c, 'ts60', compiled.ts60.get(c.file)!), 'tsc 6.0');
    const plainBabel = ok(run(c, 'babel-plain', babelCompile(c, false)), 'babel uninstrumented');

    let expected = expectations(c);
    if (!expected && process.env.RACEWAY_UPDATE_CONFORMANCE) {
      expected = { events: describeEvents(viaBabel.events), stdout: baseline.stdout };
      writeFileSync(c.file.replace(/\.[^.]+$/, '.expected.json'), `${JSON.stringify(expected, null, 2)}\n`);
    }
    expect(expected, `missing ${c.name}.expected.json`).toBeDefined();

    // Program output is unchanged by instrumentation, in every pipeline.
    expect(baseline.stdout).toBe(expected!.stdout);
    expect(plainBabel.stdout).toBe(baseline.stdout);
    expect(viaBabel.stdout).toBe(baseline.stdout);
    expect(viaTs59.stdout).toBe(baseline.stdout);
    expect(viaTs60.stdout).toBe(baseline.stdout);
    expect(babelOff.stdout).toBe(baseline.stdout);
    expect(babelOff.events).toEqual([]);
    // The expected events, and the same events from every pipeline.
    expect(describeEvents(viaBabel.events)).toEqual(expected!.events);
    expect(describeEvents(viaTs59.events)).toEqual(describeEvents(viaBabel.events));
    expect(describeEvents(viaTs60.events)).toEqual(describeEvents(viaBabel.events));
  });
});
