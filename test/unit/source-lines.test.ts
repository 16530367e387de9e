import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
/** The formatter's line width; it wraps code but not long strings and comments, so this test does. */
const WIDTH = 160;

describe('source files', () => {
  it(`have no line longer than ${WIDTH} characters`, () => {
    const files = execFileSync('git', ['ls-files', '*.ts', '*.mts', '*.mjs', '*.cjs', '*.js'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
    const long = files.flatMap((file) =>
      fs
        .readFileSync(path.join(ROOT, file), 'utf8')
        .split('\n')
        .flatMap((line, i) => (line.length > WIDTH ? [`${file}:${i + 1} (${line.length})`] : [])),
    );
    expect(long).toEqual([]);
  });
});
