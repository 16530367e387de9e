import type { Finding } from '@hybrid-cpi/core';
import { count } from './report.js';

/** One line of the doctor's report: what a check found, and of what (`config`, a backend's name). */
export interface Check extends Finding {
  readonly subject: string;
}

export const checkOf = (subject: string, found: Finding): Check => ({ subject, ...found });

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
