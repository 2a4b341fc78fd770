import path from 'node:path';
import picomatch from 'picomatch';
import type { ResolvedInstrumentOptions } from './options.js';

/** Decides which files are instrumented, and how they are named in events. */
export class FileScope {
  private readonly included: (p: string) => boolean;
  private readonly excluded: (p: string) => boolean;

  constructor(
    private readonly options: ResolvedInstrumentOptions,
    readonly root: string,
  ) {
    this.included = picomatch(options.include, { dot: true });
    this.excluded = picomatch(options.exclude, { dot: true });
  }

  /** Path relative to the root, with forward slashes: what events show. */
  relative(fileName: string): string {
    const rel = path.relative(this.root, fileName).split(path.sep).join('/');
    return rel.startsWith('..') || path.isAbsolute(rel) ? fileName.split(path.sep).join('/') : rel;
  }

  accepts(fileName: string): boolean {
    const rel = this.relative(fileName);
    if (/(^|\/)node_modules\//.test(rel) || /\.d\.[cm]?ts$/.test(rel)) return false;
    return this.included(rel) && !this.excluded(rel);
  }

  /** Module name for function-call events. */
  moduleName(fileName: string): string {
    return this.options.module ?? this.relative(fileName).replace(/\.[cm]?[jt]sx?$/, '');
  }
}

export function location(relativeFile: string, line: number, column: number): string {
  return `${relativeFile}:${line}:${column}`;
}
