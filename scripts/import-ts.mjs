// The default export of one of the project's TypeScript modules (the schema tables), for the build
// scripts that run before tsc: bundled by esbuild into a temporary file, imported, then removed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

export async function importTsDefault(file) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hybrid-cpi-import-ts-'));
  try {
    const outfile = path.join(dir, 'module.mjs');
    await build({ entryPoints: [file], bundle: true, platform: 'node', format: 'esm', outfile, logLevel: 'warning' });
    return (await import(pathToFileURL(outfile).href)).default;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
