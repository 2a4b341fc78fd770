import { Node } from 'ts-morph';
import type { PropertyDeclaration, SourceFile, VariableDeclaration } from 'ts-morph';
import type { Analysis, Fn } from './analyze-project.js';
import { atLeast } from './analyze-project.js';
import type { Risk } from './candidates.js';

interface Insertion {
  file: SourceFile;
  pos: number;
  text: string;
}

/** The indentation of the line `pos` is on. */
function indentAt(file: SourceFile, pos: number): string {
  const text = file.getFullText();
  const lineStart = text.lastIndexOf('\n', pos - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart))![0];
}

/** A JSDoc tag line inserted before a statement, keeping its indentation and comments. */
function docBefore(node: Node, tag: string): Insertion {
  const file = node.getSourceFile();
  const pos = node.getStart();
  return { file, pos, text: `/** @${tag} */\n${indentAt(file, pos)}` };
}

function functionAnchor(fn: Fn): Node {
  const parent = fn.getParent();
  if (Node.isVariableDeclaration(parent)) {
    const statement = parent.getVariableStatement();
    if (statement && statement.getDeclarations().length === 1) return statement;
  }
  return fn;
}

function ensureTrackedImport(file: SourceFile): void {
  const existing = file.getImportDeclaration((d) => d.getModuleSpecifierValue() === '@raceway/runtime');
  if (existing) {
    if (!existing.getNamedImports().some((n) => n.getName() === 'tracked')) existing.addNamedImport('tracked');
    return;
  }
  file.insertImportDeclaration(0, { moduleSpecifier: '@raceway/runtime', namedImports: ['tracked'] });
}

/**
 * Inserts `/** @tracked *\/` (variables), `@tracked` with its import (class fields) and `/** @traced *\/`
 * (async functions) as text, so formatting and comments stay as they were. Returns the changed files.
 */
export function writeAnnotations(analysis: Analysis, minRisk: Risk): string[] {
  const insertions: Insertion[] = [];
  const fieldFiles = new Set<SourceFile>();
  for (const [candidate, node] of analysis.targets.state) {
    if (!atLeast(candidate.risk, minRisk)) continue;
    if (candidate.kind === 'variable') {
      insertions.push(docBefore((node as VariableDeclaration).getVariableStatementOrThrow(), 'tracked'));
    } else {
      const prop = node as PropertyDeclaration;
      // A #private field takes the comment form (decorators on private fields need standard decorators).
      if (Node.isPrivateIdentifier(prop.getNameNode())) {
        insertions.push({ file: prop.getSourceFile(), pos: prop.getStart(), text: '/** @tracked */ ' });
        continue;
      }
      insertions.push({ file: prop.getSourceFile(), pos: prop.getStart(), text: '@tracked ' });
      fieldFiles.add(prop.getSourceFile());
    }
  }
  const wantTraced = analysis.state.some((c) => atLeast(c.risk, minRisk) && c.risk === 'high');
  if (wantTraced) {
    for (const fn of analysis.targets.functions.values()) {
      const anchor = functionAnchor(fn);
      insertions.push(docBefore(anchor, 'traced'));
    }
  }
  const byFile = new Map<SourceFile, Insertion[]>();
  for (const i of insertions) byFile.set(i.file, [...(byFile.get(i.file) ?? []), i]);
  for (const [file, list] of byFile) {
    // From the end, so earlier positions stay valid; one anchor gets one insertion.
    const unique = [...new Map(list.map((i) => [`${i.pos}|${i.text}`, i])).values()].sort((a, b) => b.pos - a.pos);
    for (const i of unique) file.insertText(i.pos, i.text);
  }
  for (const file of fieldFiles) ensureTrackedImport(file);
  const changed = [...new Set([...byFile.keys(), ...fieldFiles])];
  for (const file of changed) file.saveSync();
  return changed.map((f) => f.getFilePath());
}
