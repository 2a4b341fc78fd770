export { annotate } from './command.js';
export { AnnotateError, analyzeProject, atLeast, openProject } from './analyze-project.js';
export type { AnnotateResult, FunctionCandidate, Risk, StateCandidate } from './candidates.js';
export { writeAnnotations } from './write-annotations.js';
