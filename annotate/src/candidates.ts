/** What `raceway annotate` proposes. */
export type Risk = 'high' | 'medium' | 'low';

export const RISK_ORDER: Record<Risk, number> = { high: 0, medium: 1, low: 2 };

export interface StateCandidate {
  risk: Risk;
  kind: 'variable' | 'field';
  name: string;
  /** `path:line:col` of the declaration, relative to the project folder. */
  location: string;
  reason: string;
}

export interface FunctionCandidate {
  name: string;
  location: string;
  reason: string;
}

export interface AnnotateResult {
  state: StateCandidate[];
  functions: FunctionCandidate[];
  /** Files that could not be analysed, with why. */
  skipped: Array<{ file: string; reason: string }>;
  typeErrors: number;
}
