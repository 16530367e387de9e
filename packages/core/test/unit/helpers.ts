import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { memoryModule } from '@hybrid-cpi/core/testing';
import type { BuiltinModules } from '@hybrid-cpi/core';

export const builtins: BuiltinModules = { memory: async () => memoryModule };

/** Writes a config file into a new temporary directory and returns its path. */
export function writeConfig(content: unknown, name = 'cpi.json'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hybrid-cpi-test-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}
