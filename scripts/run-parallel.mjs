// Runs commands side by side (as many at once as the machine has cores), prints each one's output when it
// ends, and exits non-zero when any failed. Used by `npm run lint` and `npm run typecheck`.
import { spawn } from 'node:child_process';
import os from 'node:os';

/** @param {Array<{ label: string, command: string, args: string[] }>} jobs @param {string} [cwd] */
export async function runParallel(jobs, cwd = process.cwd()) {
  const queue = [...jobs];
  let failed = 0;
  const worker = async () => {
    for (let job = queue.shift(); job; job = queue.shift()) {
      const { label, command, args } = job;
      const code = await new Promise((resolve) => {
        const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
        let output = '';
        child.stdout.on('data', (d) => (output += d));
        child.stderr.on('data', (d) => (output += d));
        child.on('close', (status) => {
          process.stdout.write(status === 0 ? `${label}: ok\n` : `${label}: failed\n${output}`);
          resolve(status);
        });
      });
      if (code !== 0) failed++;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(os.availableParallelism(), jobs.length)) }, worker));
  process.exitCode = failed ? 1 : 0;
}
