import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The web UI in Debian's Chromium, against a real server loaded by running the examples.
 * Screenshots of every view go to test-output/ui/.
 */
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = path.join(repo, 'server', 'bin', 'raceway.mjs');
const shots = path.join(repo, 'test-output', 'ui');
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-quic',
  '--no-first-run',
  '--disable-sync',
];

let browser: Browser;
const servers: ChildProcess[] = [];

async function serve(args: string[]): Promise<string> {
  const server = spawn(process.execPath, [cli, 'serve', '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  servers.push(server);
  return new Promise((resolve) =>
    server.stdout!.on('data', (c: Buffer) => {
      const m = /listening on (http:\/\/\S+)/.exec(String(c));
      if (m) resolve(m[1]!);
    }),
  );
}

function load(example: string, args: string[], endpoint: string): void {
  const result = spawnSync(process.execPath, args, {
    cwd: path.join(repo, 'examples', example),
    env: { ...process.env, RACEWAY_ENDPOINT: endpoint },
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`${example} failed: ${result.stderr}`);
}

let url = '';

beforeAll(async () => {
  rmSync(shots, { recursive: true, force: true });
  mkdirSync(shots, { recursive: true });
  url = await serve(['--db', ':memory:', '--root', path.join(repo, 'examples', 'express-banking')]);
  load('express-banking', ['dist/load.js', '/transfer', '10'], url);
  load('distributed', ['run.mjs', 'ordered'], url);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_FLAGS });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  for (const s of servers) s.kill('SIGTERM');
});

async function open(hash = ''): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  await page.goto(`${url}/${hash}`);
  return page;
}

describe('web UI', () => {
  it('lists the races and opens one into its interleaving with both locations and lanes', async () => {
    const page = await open();
    const row = page.locator('table.races tbody tr', { hasText: 'accounts.alice.balance' });
    await row.first().waitFor();
    expect(await row.first().innerText()).toMatch(/critical/i);
    await page.screenshot({ path: path.join(shots, 'races.png'), fullPage: true });
    await row.first().locator('a').click();
    await page.locator('svg.timeline').waitFor();
    expect(await page.locator('svg.timeline g.lane').count()).toBe(2);
    expect(await page.locator('svg.timeline g.mark').count()).toBe(3);
    const text = await page.locator('main').innerText();
    expect(text).toContain('src/bank.ts:21:19');
    expect(text).toContain('src/bank.ts:24:3');
    expect(text).toContain('const balance = accounts[from]!.balance;');
    await page.screenshot({ path: path.join(shots, 'race.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: path.join(shots, 'race-dark.png'), fullPage: true });
    await page.close();
  });

  it('opens the distributed trace with its three services, and inspects an event', async () => {
    const page = await open('#/traces');
    const row = page.locator('table.traces tbody tr', { hasText: 'gateway' });
    await row.first().waitFor();
    await page.screenshot({ path: path.join(shots, 'traces.png'), fullPage: true });
    const href = (await row.first().locator('a').getAttribute('href'))!;
    await page.fill('input[aria-label="Search traces"]', href.split('/').pop()!.slice(0, 8));
    expect(await page.locator('table.traces tbody tr').count()).toBe(1);
    await row.first().locator('a').click();
    await page.locator('svg.timeline').waitFor();
    const services = await page.locator('.services').innerText();
    for (const s of ['gateway', 'inventory', 'payment']) expect(services).toContain(s);
    expect(await page.locator('svg.timeline g.task-row[data-service="inventory"]').count()).toBeGreaterThan(0);
    // gateway -> inventory and gateway -> payment, twice each
    expect(await page.locator('svg.timeline line.cross-service').count()).toBe(4);
    await page.locator('ol.events button', { hasText: 'shared:db.stock.sku-1' }).first().click();
    expect(await page.locator('dl.inspector').innerText()).toContain('inventory.mjs:8:19');
    await page.screenshot({ path: path.join(shots, 'trace.png'), fullPage: true });
    await page.close();
  });

  it('fits every view at 1400×900 and 800×900: no page-wide scroll, labels that do not overlap, bars named', async () => {
    const first = await open('#/traces');
    const traceRow = first.locator('table.traces tbody tr', { hasText: 'gateway' });
    await traceRow.first().waitFor();
    const trace = (await traceRow.first().locator('a').getAttribute('href'))!;
    await first.goto(`${url}/`);
    const raceRow = first.locator('table.races tbody tr', { hasText: 'accounts.alice.balance' });
    await raceRow.first().waitFor();
    const race = (await raceRow.first().locator('a').getAttribute('href'))!;
    await first.close();
    const views: Array<[string, string, string]> = [
      ['races', '#/races', 'table.races'],
      ['race', race, 'svg.timeline'],
      ['traces', '#/traces', 'table.traces'],
      ['trace', trace, 'svg.timeline'],
      ['services', '#/services', 'svg.graph'],
    ];
    for (const width of [1400, 800]) {
      for (const [name, hash, ready] of views) {
        const page = await browser.newPage({ viewport: { width, height: 900 } });
        await page.goto(`${url}/${hash}`);
        await page.locator(ready).first().waitFor();
        await page.screenshot({ path: path.join(shots, `${name}-${width}x900.png`), fullPage: true });
        // Wide content scrolls inside its card; the page itself never scrolls sideways.
        expect(
          await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1),
          `${name} at ${width}`,
        ).toBe(true);
        if (name === 'trace') {
          const boxes = await page.locator('svg.timeline g.task-row').evaluateAll((rows) =>
            rows.map((row) =>
              [...row.querySelectorAll('text.lane-label, text.lane-sub')].map((t) => {
                const b = (t as SVGGraphicsElement).getBBox();
                return { x: b.x, y: b.y, width: b.width, height: b.height };
              }),
            ),
          );
          for (const [label, sub] of boxes)
            expect(label!.y + label!.height, 'service and task lines overlap').toBeLessThanOrEqual(sub!.y + 1);
          for (const row of boxes)
            for (const box of row) expect(box.x + box.width, 'a label runs into the bars').toBeLessThanOrEqual(215);
          expect(await page.locator('svg.timeline text.bar-label').count()).toBeGreaterThan(0);
        }
        await page.close();
      }
    }
  }, 120_000);

  it('draws the service graph with the calls between services', async () => {
    const page = await open('#/services');
    await page.locator('svg.graph').waitFor();
    const labels = await page.locator('svg.graph .node-label').allTextContents();
    expect(labels).toEqual(expect.arrayContaining(['gateway', 'inventory', 'payment', 'express-banking']));
    expect(await page.locator('svg.graph .edge-label').allTextContents()).toEqual(expect.arrayContaining(['2 calls']));
    await page.screenshot({ path: path.join(shots, 'services.png'), fullPage: true });
    await page.close();
  });

  it('asks for the API key when the server requires one, and uses it', async () => {
    const keyed = await serve(['--db', ':memory:', '--api-key', 'sesame']);
    const page = await browser.newPage();
    await page.goto(`${keyed}/`);
    await page.locator('form.key-prompt').waitFor();
    await page.screenshot({ path: path.join(shots, 'key-prompt.png') });
    await page.fill('form.key-prompt input', 'sesame');
    await page.click('form.key-prompt button');
    await page.locator('text=Nothing recorded yet').waitFor();
    await page.close();
  });
});
