// `raceway run --explore`: predicted races are confirmed by steering reruns, and replayed from the report.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { RaceReport } from '@raceway/server';
import { withBabel } from './helpers/build-fixture.js';
import { cli } from './helpers/serve.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const out = path.join(repo, 'test-output', 'explore');
mkdirSync(out, { recursive: true });

/** A case of the exploration benchmark, built with the Babel plugin. */
function build(fixture: string): string {
  const built = path.join(out, fixture.replace(/\.ts$/, '.mjs'));
  writeFileSync(built, withBabel(path.join(repo, 'bench', 'explore-cases', fixture), repo));
  return built;
}

function raceway(args: string[], program: string) {
  const json = path.join(out, `report-${process.pid}-${Math.random().toString(36).slice(2)}.json`);
  const result = spawnSync(process.execPath, [cli, 'run', '--json', json, ...args, '--', process.execPath, program], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (result.status !== 0) throw new Error(`raceway run exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
  return { stdout: result.stdout, stderr: result.stderr, report: JSON.parse(readFileSync(json, 'utf8')) as RaceReport };
}

describe('raceway run --explore', () => {
  it('confirms a race the first run only predicted, shows the schedule, and the replay reproduces it', () => {
    const program = build('late-second-request.ts');
    const plain = raceway([], program);
    expect(plain.stdout).toContain('balance 70'); // left alone: no lost update
    expect(plain.report.races.map((r) => `${r.severity} ${r.kind} ${r.variable} ${r.observed}`)).toEqual([
      'warning lost-update accounts.alice.balance false',
    ]);

    const explored = raceway(['--explore', '5', '--seed', '7'], program);
    const [race] = explored.report.races;
    expect(race).toMatchObject({ kind: 'lost-update', variable: 'accounts.alice.balance', observed: true });
    expect(race!.exploration!.confirmed).toMatchObject({
      rerun: 1,
      schedule: {
        holds: [{ after: expect.stringMatching(/late-second-request\.ts:\d+:/), occurrence: expect.any(Number) }],
      },
    });
    expect(explored.report.exploration).toMatchObject({ seed: 7, confirmed: 1, stillPredicted: 0 });
    // The observed interleaving: A's read, B's write in A's gap, A's write; and as observed, it is critical.
    expect(race!.accesses.map((a) => `${a.role} ${a.access}`)).toEqual(['A read', 'B write', 'A write']);
    expect(race!.severity).toBe('critical');
    expect(explored.stdout).toMatch(/confirmed: it happened in rerun 1 of --explore/);
    const replay = /raceway run --replay (\S+) -- /.exec(explored.stdout)![1]!;
    expect(replay).toBe(race!.exploration!.confirmed!.replay);
    expect(explored.stderr).toMatch(/rerun 1\/5 towards the lost-update on accounts\.alice\.balance/);

    // The printed replay makes the race happen in one run, and the program's own output shows the lost update.
    const replayed = raceway(['--replay', replay], program);
    expect(replayed.stdout).toMatch(/balance (80|90)/);
    expect(replayed.report.races[0]).toMatchObject({ kind: 'lost-update', observed: true });

    // The same seed makes the same choices.
    const again = raceway(['--explore', '5', '--seed', '7'], program);
    expect(again.report.races[0]!.exploration!.confirmed!.schedule).toEqual(race!.exploration!.confirmed!.schedule);
  });

  it('never confirms a race a correct program cannot have, and says how many schedules it tried', () => {
    const program = build('spin-lock.ts');
    const explored = raceway(['--explore', '3', '--seed', '1'], program);
    expect(explored.stdout).toContain('balance 70');
    const predicted = explored.report.races.filter((r) => !r.observed);
    expect(predicted.length).toBeGreaterThan(0);
    expect(explored.report.races.every((r) => !r.exploration?.confirmed)).toBe(true);
    expect(explored.report.exploration).toMatchObject({ reruns: 3, confirmed: 0 });
    expect(predicted[0]!.exploration!.schedulesTried).toBeGreaterThan(0);
    expect(explored.stdout).toMatch(/--explore tried \d+ schedules? for it; none made it happen/);
  });

  it('refuses bad options with a message', () => {
    const bad = (args: string[]) =>
      spawnSync(process.execPath, [cli, 'run', ...args, '--', process.execPath, '-e', '0'], { encoding: 'utf8' });
    expect(bad(['--explore', '--replay', 'abc']).stderr).toMatch(/--explore and --replay do not go together/);
    expect(bad(['--replay', 'not-a-schedule']).stderr).toMatch(/is not a replay id|does not hold a schedule/);
    expect(bad(['--explore', '--seed', 'x']).stderr).toMatch(/--seed expects a whole number/);
    expect(bad(['--explore', '--explore-time', 'soon']).stderr).toMatch(/--explore-time expects a duration/);
  });
});
