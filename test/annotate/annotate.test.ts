import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = path.join(repo, 'server', 'bin', 'raceway.mjs');
const base = path.join(repo, 'test-output', 'annotate');

const TSCONFIG = JSON.stringify({
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    rootDir: 'src',
    outDir: 'dist',
    strict: true,
    skipLibCheck: true,
    types: ['node'],
    experimentalDecorators: false,
    plugins: [{ transform: '@raceway/transformer' }],
  },
  include: ['src'],
});

/** A fixture project under test-output (so @raceway packages resolve from the workspace). */
function project(name: string, files: Record<string, string>): string {
  const dir = path.join(base, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, 'src'), { recursive: true });
  writeFileSync(path.join(dir, 'tsconfig.json'), TSCONFIG);
  writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

function annotate(dir: string, ...args: string[]) {
  const result = spawnSync(process.execPath, [cli, 'annotate', '--project', path.join(dir, 'tsconfig.json'), ...args], {
    encoding: 'utf8',
    cwd: dir,
  });
  return {
    status: result.status,
    stdout: result.stdout,
    stderr: result.stderr,
    json: args.includes('--json') ? JSON.parse(result.stdout) : undefined,
  };
}

const risks = (json: { state: Array<{ risk: string; name: string }> }) => json.state.map((c) => `${c.risk} ${c.name}`);

// Each case type-checks a project with ts-morph: seconds of CPU, many more on a machine busy with other work.
describe('raceway annotate', { timeout: 90_000 }, () => {
  it('ranks state by risk, following imports across files, and names the functions to trace', () => {
    const dir = project('rules', {
      'src/state.ts': `export const balances = new Map<string, number>();\nexport let lastUser = '';\nexport const config = { retries: 3 };\nexport const queue: string[] = [];\nexport let counter = 0;\nexport function bump() { counter++; }\n`,
      'src/routes.ts': `import { balances, lastUser, queue } from './state.js';\nimport * as state from './state.js';\nconst app = { post(_p: string, _h: (b: string) => unknown) {} };\nasync function save() {}\nexport async function withdraw(user: string, n: number) {\n  const b = balances.get(user) ?? 0;\n  await save();\n  balances.set(user, b - n);\n}\nexport async function login(user: string) {\n  await save();\n  state.setLast(user);\n}\nfunction enqueue(job: string) { queue.push(job); }\napp.post('/jobs', (job) => enqueue(job));\nexport function localOnly() { let local = 0; local++; return local + state.config.retries; }\nexport { lastUser };\n`,
      'src/state-setters.ts': `import * as s from './state.js';\nexport async function setLast(user: string) { await Promise.resolve(); }\n`,
      'src/account.ts': `export class Account {\n  balance = 0;\n  owner = 'x';\n  async deposit(n: number) {\n    await Promise.resolve();\n    this.balance += n;\n  }\n}\n`,
      'src/session.ts': `export let current: string | undefined;\nexport async function switchTo(user: string) {\n  await Promise.resolve();\n  current = user;\n}\n`,
      'src/already.ts': `/** @tracked */\nexport let seen = 0;\nexport async function see() { const s = seen; await null; seen = s + 1; }\n`,
      'src/state.test.ts': `export let testOnly = 0;\nexport async function t() { const x = testOnly; await null; testOnly = x + 1; }\n`,
    });
    const { json, status } = annotate(dir, '--json');
    expect(status).toBe(0);
    expect(risks(json)).toEqual([
      'high current',
      'high balances',
      'medium Account.balance',
      'medium queue',
      'low counter',
    ]);
    const byName = Object.fromEntries(
      json.state.map((c: { name: string; location: string; reason: string }) => [c.name, c]),
    );
    expect(byName.balances.location).toBe('src/state.ts:1:14');
    expect(byName.balances.reason).toMatch(/across an await in withdraw \(used from other modules too\)/);
    expect(byName.current.reason).toMatch(/module-level let assigned inside an async function/);
    expect(json.functions.map((f: { name: string }) => f.name)).toEqual(['withdraw']);
    // Negatives: a local variable, a read-only module constant, annotated state, test files.
    expect(risks(json).join(' ')).not.toMatch(/local|config|seen|testOnly|lastUser/);
  });

  it('writes the annotations, keeps formatting, changes nothing the second time, and --check agrees', () => {
    const dir = project('write', {
      'src/bank.ts': `// The bank.\nexport const accounts: Record<string, { balance: number }> = { alice: { balance: 100 } };\n\n  // A comment that stays.\nexport class Wallet {\n  coins = 0; // inline comment\n  async add(n: number) {\n    const c = this.coins;\n    await Promise.resolve();\n    this.coins = c + n;\n  }\n}\n\nexport const transfer = async (from: string, amount: number) => {\n  const b = accounts[from]!.balance;\n  await new Promise((r) => setTimeout(r, 1));\n  accounts[from]!.balance = b - amount;\n};\n`,
    });
    expect(annotate(dir, '--check').status).toBe(1);
    annotate(dir, '--write');
    const once = readFileSync(path.join(dir, 'src/bank.ts'), 'utf8');
    expect(once).toContain(`// The bank.\n/** @tracked */\nexport const accounts`);
    expect(once).toContain(`  // A comment that stays.`);
    expect(once).toContain(`  @tracked coins = 0; // inline comment`);
    expect(once).toMatch(/^import \{ tracked \} from ['"]@raceway\/runtime['"];/);
    expect(once).toContain(`/** @traced */\nexport const transfer = async`);
    annotate(dir, '--write');
    expect(readFileSync(path.join(dir, 'src/bank.ts'), 'utf8')).toBe(once);
    expect(annotate(dir, '--check').status).toBe(0);
  });

  it('--check counts a hint exactly when the instrumenters do (every comment form; a near miss is not one)', () => {
    const body = (hint: string) =>
      `${hint}\nexport const stock: Record<string, number> = { mug: 5 };\nexport async function sell(item: string) {\n  const n = stock[item]!;\n  await Promise.resolve();\n  stock[item] = n - 1;\n}\n`;
    for (const hint of ['/* @tracked */', '// @tracked', '/** @tracked */']) {
      const dir = project(`forms-${hint.length}-${hint.startsWith('//') ? 'line' : 'block'}`, {
        'src/stock.ts': body(hint).replace('export async function', '/** @traced */\nexport async function'),
      });
      expect(annotate(dir, '--check').status, hint).toBe(0);
    }
    const typo = project('forms-typo', {
      'src/stock.ts': body('/** @trackd */').replace('export async function', '/** @traced */\nexport async function'),
    });
    expect(annotate(typo, '--check').status).toBe(1);
  });

  it('finds #private fields too, and annotates them in the comment form', () => {
    const dir = project('private', {
      'src/queue.ts': `export class Queue {\n  #pending = 0;\n  async run(fn: () => Promise<void>) {\n    this.#pending++;\n    await fn();\n    this.#pending--;\n  }\n  get size() {\n    return this.#pending;\n  }\n}\n`,
    });
    const found = annotate(dir, '--json').json as { state: Array<{ risk: string; name: string; kind: string }> };
    expect(found.state.map((c) => `${c.kind} ${c.name}`)).toContain('field Queue.#pending');
    expect(['high', 'medium']).toContain(found.state.find((c) => c.name === 'Queue.#pending')!.risk);
    annotate(dir, '--write', '--min-risk', 'medium');
    expect(readFileSync(path.join(dir, 'src/queue.ts'), 'utf8')).toContain('  /** @tracked */ #pending = 0;');
    expect(annotate(dir, '--check', '--min-risk', 'medium').status).toBe(0);
  });

  it('explains a missing or broken tsconfig, and analyses a project with type errors', () => {
    const missing = spawnSync(
      process.execPath,
      [cli, 'annotate', '--project', path.join(base, 'nowhere', 'tsconfig.json')],
      { encoding: 'utf8' },
    );
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/no tsconfig at/);
    const broken = project('broken', { 'src/a.ts': 'export let x = 1;\n' });
    writeFileSync(path.join(broken, 'tsconfig.json'), '{ "compilerOptions": ');
    const result = annotate(broken);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/cannot read .*tsconfig\.json/);
    const typeErrors = project('type-errors', {
      'src/a.ts': `export let total: number = 'oops';\nexport async function f() { await null; total = 2; }\n`,
    });
    const { json } = annotate(typeErrors, '--json');
    expect(json.typeErrors).toBeGreaterThan(0);
    expect(risks(json)).toEqual(['high total']);
  });

  it('takes an unannotated service to a found race: annotate --write, build, raceway run', () => {
    const source = readFileSync(path.join(repo, 'examples', 'express-banking', 'src', 'bank.ts'), 'utf8')
      .replace(/\/\*\* @tracked \*\/\n/g, '')
      .replace(/\/\*\* @traced \*\/\n/g, '');
    expect(source).not.toMatch(/@tracked|@traced/);
    const files: Record<string, string> = { 'src/bank.ts': source };
    for (const f of ['app.ts', 'raceway.ts', 'load.ts'])
      files[`src/${f}`] = readFileSync(path.join(repo, 'examples', 'express-banking', 'src', f), 'utf8');
    const dir = project('service', files);
    annotate(dir, '--write');
    expect(readFileSync(path.join(dir, 'src/bank.ts'), 'utf8')).toMatch(/\/\*\* @tracked \*\/\nexport const accounts/);
    const build = spawnSync(
      process.execPath,
      [path.join(repo, 'node_modules', 'ts-patch', 'bin', 'tspc.js'), '-p', 'tsconfig.json'],
      { cwd: dir, encoding: 'utf8' },
    );
    expect(build.status, build.stdout).toBe(0);
    const json = path.join(dir, 'report.json');
    const run = spawnSync(
      process.execPath,
      [cli, 'run', '--json', json, '--', process.execPath, 'dist/load.js', '/transfer', '8'],
      { cwd: dir, encoding: 'utf8' },
    );
    expect(run.status).toBe(0);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(
      report.races.map(
        (r: { severity: string; kind: string; variable: string }) => `${r.severity} ${r.kind} ${r.variable}`,
      ),
    ).toEqual(['critical lost-update accounts.alice.balance']);
  });
});
