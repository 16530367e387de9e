import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { memoryModule } from '@hybrid-cpi/core/testing';
import type { BuiltinModules } from '@hybrid-cpi/core';

export const builtins: BuiltinModules = { memory: async () => memoryModule };

const dirs: string[] = [];
// Registered in the suite of each test file that imports this module.
afterAll(() => dirs.splice(0).forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/** Writes a config file into a new temporary directory (removed after the file's tests) and returns its path. */
export function writeConfig(content: unknown, name = 'cpi.json'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hybrid-cpi-test-'));
  dirs.push(dir);
  const file = path.join(dir, name);
  fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}
