import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const cli = path.join(repo, 'server', 'bin', 'raceway.mjs');

/** A `raceway serve` process, its URL and everything it wrote. */
export interface Served {
  child: ChildProcess;
  url: string;
  stdout(): string;
  stderr(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts `raceway serve --port 0 ...args` (through `sh -c` when `shellPrefix` is given, e.g. a ulimit) and
 * resolves once it says where it listens.
 */
export function serve(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; shellPrefix?: string; cwd?: string } = {},
): Promise<Served> {
  const argv = [cli, 'serve', '--port', '0', ...args];
  const child = options.shellPrefix
    ? spawn('sh', ['-c', `${options.shellPrefix} && exec "$0" "$@"`, process.execPath, ...argv], {
        env: { ...process.env, ...options.env },
        cwd: options.cwd ?? repo,
      })
    : spawn(process.execPath, argv, { env: { ...process.env, ...options.env }, cwd: options.cwd ?? repo });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`raceway serve did not start:\n${out}\n${err}`)), 15_000);
    const look = () => {
      const m = /raceway listening on (http:\/\/\S+) /.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.stdout!.off('data', look);
      resolve({
        child,
        url: m[1]!,
        stdout: () => out,
        stderr: () => err,
        stop: async () => {
          if (child.exitCode === null) child.kill('SIGTERM');
          return exited;
        },
      });
    };
    child.stdout!.on('data', look);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`raceway serve exited with ${code}:\n${out}\n${err}`));
    });
  });
}

/** Log lines (JSON) the server wrote on stderr. */
export function logLines(stderr: string): Array<Record<string, unknown>> {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
