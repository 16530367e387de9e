import { count } from './report.js';

/** ok: fine; warning: may fail, depending on what cannot be seen from here; problem: will fail. */
export type CheckStatus = 'ok' | 'warning' | 'problem';

/** The outcome of one doctor check: what was found and, unless it is fine, how to fix it. */
export interface Check {
  readonly subject: string;
  readonly status: CheckStatus;
  readonly text: string;
  readonly fix: string | null;
}

export const ok = (subject: string, text: string): Check => ({ subject, status: 'ok', text, fix: null });
export const warning = (subject: string, text: string, fix: string): Check => ({ subject, status: 'warning', text, fix });
export const problem = (subject: string, text: string, fix: string): Check => ({ subject, status: 'problem', text, fix });

/** Where checks go as they finish: one line each, written at once (a slow check shows where it waits). */
export type Report = (check: Check) => void;

/** One line per check: `ok      <subject>  <text>`, or `problem <subject>  <text> -> fix: <fix>`. */
export function formatCheck(check: Check, subjectWidth: number): string {
  const head = check.status.padEnd(8) + check.subject.padEnd(subjectWidth + 2);
  return check.fix === null ? `${head}${check.text}\n` : `${head}${check.text} -> fix: ${check.fix}\n`;
}

/** The last line: how many checks, how many problems and warnings. */
export function summary(checks: readonly Check[]): string {
  const problems = checks.filter((c) => c.status === 'problem').length;
  const warnings = checks.filter((c) => c.status === 'warning').length;
  const all = count(checks.length, 'check');
  const head = problems === 0 ? `all ${all} ok` : `${count(problems, 'problem')} in ${all}`;
  return `${head}${warnings === 0 ? '' : `, ${count(warnings, 'warning')}`}\n`;
}
