import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * "Getting started" followed literally in a new project outside this repository: the packages installed from
 * the tarballs `npm run pack` makes (dependencies from the registry), a service built with tspc and with
 * Babel, and `raceway run` finding its race.
 */
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const project = mkdtempSync(path.join(os.tmpdir(), 'raceway-fresh-'));
afterAll(() => rmSync(project, { recursive: true, force: true }));

const SERVICE = `import { RacewayClient } from '@raceway/runtime';
const raceway = RacewayClient.fromEnv({ serviceName: 'fresh' });
/** @tracked */ const stock: Record<string, number> = { mug: 10 };
/** @traced */
async function sell(item: string): Promise<void> {
  const left = stock[item]!;
  await new Promise((resolve) => setTimeout(resolve, 10));
  stock[item] = left - 1;
}
await Promise.all([raceway.startTrace('a', () => sell('mug')), raceway.startTrace('b', () => sell('mug'))]);
console.log(\`left \${stock.mug}\`);
await raceway.shutdown();
`;

function racesOf(script: string): Array<{ kind: string; variable: string; accesses: Array<{ location: string }> }> {
  const report = path.join(project, `${path.basename(script)}.json`);
  const run = spawnSync('npx', ['--no-install', 'raceway', 'run', '--json', report, '--', process.execPath, script], {
    cwd: project,
    encoding: 'utf8',
  });
  expect(run.status, run.stderr).toBe(0);
  expect(run.stdout).toContain('left 9');
  return JSON.parse(readFileSync(report, 'utf8')).races;
}

describe('installing from the tarballs in a project outside the repository', () => {
  it('npm run pack, npm install, build with tspc and with Babel, find the race with raceway run', () => {
    execFileSync(process.execPath, [path.join(repo, 'scripts', 'pack.mjs'), '--no-build'], {
      cwd: repo,
      stdio: 'pipe',
    });
    const tarballs = readdirSync(path.join(repo, 'packages-dist'))
      .filter((f) => f.endsWith('.tgz'))
      .map((f) => path.join(repo, 'packages-dist', f));
    expect(tarballs.map((t) => path.basename(t)).sort()).toEqual([
      'raceway-annotate-0.1.0.tgz',
      'raceway-babel-plugin-0.1.0.tgz',
      'raceway-instrument-core-0.1.0.tgz',
      'raceway-protocol-0.1.0.tgz',
      'raceway-register-0.1.0.tgz',
      'raceway-runtime-0.1.0.tgz',
      'raceway-server-0.1.0.tgz',
      'raceway-transformer-0.1.0.tgz',
      'raceway-unplugin-0.1.0.tgz',
    ]);

    mkdirSync(path.join(project, 'src'), { recursive: true });
    writeFileSync(
      path.join(project, 'package.json'),
      '{ "name": "fresh-service", "private": true, "type": "module" }\n',
    );
    writeFileSync(
      path.join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          outDir: 'dist',
          rootDir: 'src',
          strict: true,
          skipLibCheck: true,
          plugins: [{ transform: '@raceway/transformer' }],
        },
        include: ['src'],
      }),
    );
    writeFileSync(path.join(project, 'src', 'app.ts'), SERVICE);
    execFileSync(
      'npm',
      [
        'install',
        ...tarballs,
        'typescript@5.9',
        'ts-patch@3.3',
        '@babel/core@7',
        '@babel/preset-typescript@7',
        '--no-audit',
        '--no-fund',
      ],
      { cwd: project, stdio: 'pipe' },
    );

    execFileSync('npx', ['--no-install', 'tspc', '-p', 'tsconfig.json'], { cwd: project, stdio: 'pipe' });
    const viaTspc = racesOf(path.join(project, 'dist', 'app.js'));
    expect(viaTspc.map((r) => `${r.kind} ${r.variable}`)).toEqual(['lost-update stock.mug']);

    const babel = `import babel from '@babel/core'; import { writeFileSync } from 'node:fs';
      const { code } = babel.transformFileSync('src/app.ts', { presets: ['@babel/preset-typescript'], plugins: ['@raceway/babel-plugin'], babelrc: false, configFile: false });
      writeFileSync('dist/app.babel.js', code);`;
    execFileSync(process.execPath, ['--input-type=module', '-e', babel], { cwd: project, stdio: 'pipe' });
    const viaBabel = racesOf(path.join(project, 'dist', 'app.babel.js'));
    expect(viaBabel.map((r) => `${r.kind} ${r.variable}`)).toEqual(['lost-update stock.mug']);
    expect(viaBabel[0]!.accesses.map((a) => a.location)).toContain('src/app.ts:6:16');
  }, 600_000);

  it('TypeScript 7 (type-checking only) with Babel 8 under Node 24: the path without a transformer API', () => {
    const tarballs = readdirSync(path.join(repo, 'packages-dist'))
      .filter((f) => f.endsWith('.tgz') && !f.includes('transformer')) // the transformer needs TypeScript's JS API (5.9 and 6.0)
      .map((f) => path.join(repo, 'packages-dist', f));
    const next = path.join(project, 'ts7');
    mkdirSync(path.join(next, 'src'), { recursive: true });
    mkdirSync(path.join(next, 'dist'), { recursive: true });
    writeFileSync(path.join(next, 'package.json'), '{ "name": "ts7-service", "private": true, "type": "module" }\n');
    writeFileSync(
      path.join(next, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
        },
        include: ['src'],
      }),
    );
    writeFileSync(path.join(next, 'src', 'app.ts'), SERVICE);
    execFileSync(
      'npm',
      [
        'install',
        ...tarballs,
        'typescript@7',
        '@types/node@20',
        '@babel/core@8',
        '@babel/preset-typescript@8',
        '--no-audit',
        '--no-fund',
      ],
      { cwd: next, stdio: 'pipe' },
    );
    expect(
      JSON.parse(readFileSync(path.join(next, 'node_modules', 'typescript', 'package.json'), 'utf8')).version,
    ).toMatch(/^7\./);
    execFileSync('npx', ['--no-install', 'tsc', '-p', 'tsconfig.json'], { cwd: next, stdio: 'pipe' }); // the SDK's types check under TS 7

    // Babel 8 needs Node >= 22.18: build under Node 24 from the registry, run under this Node.
    const build = `import * as babel from '@babel/core'; import { writeFileSync } from 'node:fs';
      if (!babel.version.startsWith('8.')) throw new Error('not Babel 8: ' + babel.version);
      const { code } = babel.transformFileSync('src/app.ts', { presets: ['@babel/preset-typescript'], plugins: ['@raceway/babel-plugin'], babelrc: false, configFile: false });
      writeFileSync('dist/app.js', code);`;
    writeFileSync(path.join(next, 'build.mjs'), build);
    execFileSync('npx', ['-y', '-p', 'node@24', 'node', 'build.mjs'], { cwd: next, stdio: 'pipe' });
    const run = spawnSync(
      'npx',
      ['--no-install', 'raceway', 'run', '--json', 'report.json', '--', process.execPath, 'dist/app.js'],
      { cwd: next, encoding: 'utf8' },
    );
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('left 9');
    const races = JSON.parse(readFileSync(path.join(next, 'report.json'), 'utf8')).races as Array<{
      kind: string;
      variable: string;
    }>;
    expect(races.map((r) => `${r.kind} ${r.variable}`)).toEqual(['lost-update stock.mug']);
  }, 600_000);
});
