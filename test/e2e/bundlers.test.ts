import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { build as rolldown } from 'rolldown';
import { build as vite } from 'vite';
import webpack from 'webpack';
import { describe, expect, it } from 'vitest';
import racewayEsbuild from '@raceway/unplugin/esbuild';
import racewayRolldown from '@raceway/unplugin/rolldown';
import racewayVite from '@raceway/unplugin/vite';
import racewayWebpack from '@raceway/unplugin/webpack';

/**
 * Bundled services (Vite SSR, Rolldown, esbuild, webpack) instrumented by `@raceway/unplugin`: each bundle
 * runs under `raceway run`, which finds the race at the source's own lines.
 */
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const root = path.join(repo, 'test', 'e2e', 'fixtures', 'bundled-service');
const out = path.join(repo, 'test-output', 'bundlers');

function racesOf(bundle: string, name: string, stockFile: string) {
  const report = path.join(out, `${name}.json`);
  const run = spawnSync(
    process.execPath,
    [path.join(repo, 'server', 'bin', 'raceway.mjs'), 'run', '--json', report, '--', process.execPath, bundle],
    { cwd: root, encoding: 'utf8', env: { ...process.env, RACEWAY_LOG: 'silent' } },
  );
  expect(run.status, run.stderr).toBe(0);
  expect(run.stdout).toContain('left 9');
  const races = JSON.parse(readFileSync(report, 'utf8')).races as Array<{
    kind: string;
    variable: string;
    accesses: Array<{ location: string }>;
  }>;
  expect(races.map((r) => `${r.kind} ${r.variable}`)).toEqual(['lost-update stock.mug']);
  expect(races[0]!.accesses.map((a) => a.location)).toContain(`src/${stockFile}`);
}

describe('bundlers with @raceway/unplugin', () => {
  it('Vite (SSR build of a TypeScript service)', async () => {
    const dir = path.join(out, 'vite');
    rmSync(dir, { recursive: true, force: true });
    await vite({
      root,
      logLevel: 'silent',
      configFile: false,
      plugins: [racewayVite({ root })],
      build: {
        ssr: 'src/app.ts',
        outDir: dir,
        emptyOutDir: true,
        rollupOptions: { output: { entryFileNames: 'app.js' } },
      },
    });
    racesOf(path.join(dir, 'app.js'), 'vite', 'stock.ts:4:24');
  }, 120_000);

  it('Rolldown', async () => {
    const file = path.join(out, 'rolldown', 'app.js');
    await rolldown({
      cwd: root,
      input: path.join(root, 'src', 'app.ts'),
      platform: 'node',
      plugins: [racewayRolldown({ root })],
      logLevel: 'silent',
      output: { file, format: 'esm' },
    });
    racesOf(file, 'rolldown', 'stock.ts:4:24');
  }, 120_000);

  it('esbuild', async () => {
    const file = path.join(out, 'esbuild', 'app.mjs');
    await esbuild.build({
      absWorkingDir: root,
      entryPoints: ['src/app.ts'],
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: file,
      logLevel: 'silent',
      plugins: [racewayEsbuild({ root })],
    });
    racesOf(file, 'esbuild', 'stock.ts:4:24');
  }, 120_000);

  it('webpack (JavaScript: webpack strips no types by itself)', async () => {
    const dir = path.join(out, 'webpack');
    mkdirSync(dir, { recursive: true });
    const stats = await new Promise<webpack.Stats>((resolve, reject) => {
      webpack(
        {
          context: root,
          mode: 'none',
          target: 'node',
          entry: './src/main.js',
          output: { path: dir, filename: 'app.cjs' },
          plugins: [racewayWebpack({ root })],
          externalsPresets: { node: true },
        },
        (error, result) => (error || !result ? reject(error) : resolve(result)),
      );
    });
    expect(stats.hasErrors(), stats.toString('errors-only')).toBe(false);
    racesOf(path.join(dir, 'app.cjs'), 'webpack', 'stock-plain.js:5:16');
  }, 120_000);
});
