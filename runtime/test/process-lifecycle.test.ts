import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { deadEndpoint, TestCollector } from './helpers/collector.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

function run(file: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, ms: Date.now() - started }));
  });
}

let collector: TestCollector | undefined;
afterEach(async () => {
  await collector?.stop();
  collector = undefined;
});

describe('process lifecycle (built package)', () => {
  it('sends what an app recorded when it ends on its own, without an explicit flush', async () => {
    collector = await new TestCollector().start();
    const result = await run(fixture('short-lived-app.mjs'), { RACEWAY_ENDPOINT: collector.url });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('done\n');
    expect(collector.events.filter((e) => e.kind.StateChange)).toHaveLength(5);
  });

  it('exits promptly with the collector down, instead of retrying forever', async () => {
    const result = await run(fixture('short-lived-app.mjs'), { RACEWAY_ENDPOINT: await deadEndpoint() });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('done\n');
    // Well under the shutdown deadline plus the retry backoff budget.
    expect(result.ms).toBeLessThan(8000);
  });

  it('shares one context store and default client between the ESM and CommonJS builds', async () => {
    const result = await run(fixture('dual-module-app.cjs'), {});
    expect(result.code).toBe(0);
    const [first, second] = result.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(first).toEqual({ sameDefault: true, cjsSeesContext: true });
    expect(second).toEqual({ recorded: 1, trace: true });
  });
});

describe('traced calls and rejections (built package)', () => {
  it('leaves handled rejections handled and unhandled ones unhandled', async () => {
    const result = await run(fixture('rejections-app.mjs'), {});
    expect(result.stdout.trim().split('\n')).toEqual(['caught handled', 'unhandled orphan same promise true']);
  });
});
