// Golden output of the operator commands: the report normalised (ports, temp paths, UUIDs,
// timings), compared with a file checked in under test/e2e/golden/.
import path from 'node:path';
import { expect } from 'vitest';
import { REPO_ROOT, runCpi, type CpiRun } from './cpi.js';

const GOLDEN_DIR = path.join(REPO_ROOT, 'test/e2e/golden');

/** Each replacement says what varies from run to run; nothing else is touched. */
export function normalise(text: string, paths: Readonly<Record<string, string>> = {}): string {
  let out = text;
  // Longest first: a workspace path inside another placeholder's path stays whole.
  for (const [placeholder, value] of Object.entries(paths).sort((a, b) => b[1].length - a[1].length)) out = out.replaceAll(value, placeholder);
  return out
    .replaceAll(REPO_ROOT, '<repo>')
    .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:<port>')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
    .replace(/sha256:[0-9a-f]{64}/g, 'sha256:<digest>')
    .replace(/\(\d+ ms\)/g, '(<ms> ms)');
}

/** Compares with test/e2e/golden/NAME; `vitest run -u` rewrites the file (review the diff). */
export async function expectGolden(name: string, text: string): Promise<void> {
  await expect(text).toMatchFileSnapshot(path.join(GOLDEN_DIR, name));
}

/** Runs `hybrid-cpi ARGS...` with the director's bare environment and nothing on stdin. */
export function runCommand(argv: string[], tmp: string, timeoutMs = 110_000): Promise<CpiRun> {
  return runCpi('', '', { tmp, argv, timeoutMs });
}
