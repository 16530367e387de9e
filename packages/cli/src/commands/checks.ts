import { count } from './report.js';

/** The outcome of one doctor check: what was found and, for a problem, how to fix it. */
export type Check =
  | { readonly subject: string; readonly ok: true; readonly text: string }
  | { readonly subject: string; readonly ok: false; readonly text: string; readonly fix: string };

export const ok = (subject: string, text: string): Check => ({ subject, ok: true, text });
export const problem = (subject: string, text: string, fix: string): Check => ({ subject, ok: false, text, fix });

/** Where checks go as they finish: one line each, written at once (a slow check shows where it waits). */
export type Report = (check: Check) => void;

/** One line per check: `ok      <subject>  <text>` or `problem <subject>  <text> -> fix: <fix>`. */
export function formatCheck(check: Check, subjectWidth: number): string {
  const head = `${check.ok ? 'ok' : 'problem'}`.padEnd(8) + check.subject.padEnd(subjectWidth + 2);
  return check.ok ? `${head}${check.text}\n` : `${head}${check.text} -> fix: ${check.fix}\n`;
}

/** The last line: how many checks, how many problems. */
export function summary(checks: readonly Check[]): string {
  const problems = checks.filter((c) => !c.ok).length;
  const all = count(checks.length, 'check');
  return problems === 0 ? `all ${all} ok\n` : `${count(problems, 'problem')} in ${all}\n`;
}
