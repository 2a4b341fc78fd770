import path from 'node:path';
import { parseArgs } from 'node:util';
import { analyzeProject, atLeast, openProject } from './analyze-project.js';
import type { Risk } from './candidates.js';
import { writeAnnotations } from './write-annotations.js';

const RISKS: Risk[] = ['high', 'medium', 'low'];

/** `raceway annotate [--project tsconfig.json] [--json] [--write] [--check] [--min-risk high|medium|low]` */
export async function annotate(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      project: { type: 'string', default: 'tsconfig.json' },
      json: { type: 'boolean', default: false },
      write: { type: 'boolean', default: false },
      check: { type: 'boolean', default: false },
      'min-risk': { type: 'string', default: 'high' },
    },
  });
  const minRisk = values['min-risk'] as Risk;
  if (!RISKS.includes(minRisk)) throw new Error(`--min-risk must be high, medium or low, got "${values['min-risk']}"`);
  const tsconfig = path.resolve(values.project!);
  const root = path.dirname(tsconfig);
  const project = openProject(tsconfig);
  const analysis = analyzeProject(project, root);
  const { state, functions, skipped, typeErrors } = analysis;
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ state, functions, skipped, typeErrors }, null, 2)}\n`);
  } else {
    if (state.length === 0) process.stdout.write('No unannotated shared mutable state found.\n');
    for (const c of state)
      process.stdout.write(
        `${c.risk.toUpperCase().padEnd(6)} ${c.kind === 'field' ? '@tracked     ' : '/** @tracked */'} ${c.name}  ${c.location}\n         ${c.reason}\n`,
      );
    for (const f of functions)
      process.stdout.write(`TRACE  /** @traced */ ${f.name}  ${f.location}\n         ${f.reason}\n`);
    if (typeErrors > 0)
      process.stdout.write(`note: the project has ${typeErrors} type error(s); everything that parses was analysed.\n`);
    for (const s of skipped) process.stdout.write(`skipped ${s.file}: ${s.reason}\n`);
  }
  if (values.write) {
    const changed = writeAnnotations(analysis, minRisk);
    process.stderr.write(
      changed.length
        ? `annotated ${changed.length} file(s): ${changed.map((f) => path.relative(root, f)).join(', ')}\n`
        : 'nothing to annotate\n',
    );
  }
  if (values.check && state.some((c) => atLeast(c.risk, 'high'))) return 1;
  return 0;
}
