// `npm run demo`: builds the express-banking example with tsc + the Raceway transformer, runs it
// under `raceway run` while firing concurrent transfers, shows the lost update Raceway finds, then
// the locked variant with no race. Loopback only; exits 0.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const example = path.join(repo, 'examples', 'express-banking');
const cli = path.join(repo, 'server', 'bin', 'raceway.mjs');
const db = path.join(repo, '.raceway', 'demo.db');
const bold = (s) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[22m` : s);

function step(title) {
  process.stdout.write(`\n${bold(`== ${title}`)}\n`);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (result.status !== 0 && !options.allowFailure) {
    process.stderr.write(`demo: "${[command, ...args].join(' ')}" exited with ${result.status}\n`);
    process.exit(result.status ?? 1);
  }
  return result.status;
}

// `npm install` builds the packages (prepare); build them here only when that has not happened.
const built = ['runtime/dist', 'instrument-core/dist', 'transformer/dist', 'server/dist', 'server/ui-dist'].every((d) =>
  existsSync(path.join(repo, d)),
);
step(`Building ${built ? '' : 'the packages and '}the express-banking example (tspc: tsc + @raceway/transformer)`);
if (!built)
  run('npm', ['run', 'build', '--silent', '--workspaces', '--if-present'], {
    cwd: repo,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
else
  run('npm', ['run', 'build', '--silent', '--workspace', '@raceway-examples/express-banking'], {
    cwd: repo,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
mkdirSync(path.dirname(db), { recursive: true });
for (const suffix of ['', '-wal', '-shm']) rmSync(`${db}${suffix}`, { force: true }); // each demo starts afresh

step('1. Ten concurrent transfers to POST /transfer, under `raceway run`');
process.stdout.write(
  '   src/bank.ts reads the balance, awaits the database, then writes the balance it read earlier.\n\n',
);
run(process.execPath, [cli, 'run', '--store', db, '--', process.execPath, 'dist/load.js', '/transfer', '10'], {
  cwd: example,
});

step('2. The same load on POST /transfer-safe (raceway.withLock around the read-modify-write)');
run(
  process.execPath,
  [cli, 'run', '--store', ':memory:', '--', process.execPath, 'dist/load.js', '/transfer-safe', '10'],
  { cwd: example },
);

step('Next');
process.stdout.write(`   The first run's events are stored in ${path.relative(repo, db)}. To browse them:
     npx raceway serve --store ${path.relative(repo, db)}
   then open http://127.0.0.1:8080/ (the web UI: races with their interleavings, traces, services),
   or http://127.0.0.1:8080/api/races for the report as JSON.
   In CI: npx raceway run --fail-on-race -- npm test   (exits 3 when a race is found)\n`);
