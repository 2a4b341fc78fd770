// Side-by-side measurement: every case runs in the same process, in rotating order, round after
// round, and is reported as a median with its ratio to the baseline (the first case). Absolute numbers
// only ever appear beside ratios.

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * cases: [{ name, setup?(), run(iterations), teardown?() }]; setup/teardown may be async and are not
 * timed. Returns [{ name, nsPerOp, ratio }].
 */
export async function compare(cases, { iterations, rounds, warmupRounds = 2 }) {
  const samples = cases.map(() => []);
  for (let round = 0; round < warmupRounds + rounds; round++) {
    // Rotate the order so no case always runs first, or always right after a GC-heavy one.
    for (let k = 0; k < cases.length; k++) {
      const i = (k + round) % cases.length;
      const c = cases[i];
      await c.setup?.();
      const start = process.hrtime.bigint();
      c.run(iterations);
      const ns = Number(process.hrtime.bigint() - start);
      await c.teardown?.();
      if (round >= warmupRounds) samples[i].push(ns / iterations);
    }
  }
  const base = median(samples[0]);
  return cases.map((c, i) => ({ name: c.name, nsPerOp: median(samples[i]), ratio: median(samples[i]) / base }));
}

export function printTable(title, rows, note) {
  process.stdout.write(`\n${title}\n`);
  const width = Math.max(...rows.map((r) => r.name.length));
  for (const r of rows) {
    process.stdout.write(
      `  ${r.name.padEnd(width)}  ${r.ratio.toFixed(2).padStart(8)}x   (${r.nsPerOp.toFixed(1)} ns/op)\n`,
    );
  }
  if (note) process.stdout.write(`  ${note}\n`);
}
