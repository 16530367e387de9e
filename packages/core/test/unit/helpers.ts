import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import memoryModule from '@hybrid-cpi/backend-memory';
import type { BuiltinModules } from '@hybrid-cpi/core';

export const builtins: BuiltinModules = { memory: async () => memoryModule };

/** The test file's temporary directory, made on first use and removed after its last test. */
let root: string | undefined;
afterAll(() => {
  if (root !== undefined) fs.rmSync(root, { recursive: true, force: true });
});

/** Writes a config file into a new directory (under the file's temporary one) and returns its path. */
export function writeConfig(content: unknown, name = 'cpi.json'): string {
  root ??= fs.mkdtempSync(path.join(os.tmpdir(), 'hybrid-cpi-test-'));
  const dir = fs.mkdtempSync(path.join(root, 'config-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}
