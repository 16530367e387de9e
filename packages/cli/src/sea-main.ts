// The single executable's entry point: runs the CLI bundle with a V8 code cache taken at the end of
// a real delegated call. Node's own SEA code cache (useCodeCache) holds only what V8 compiles
// before running anything, so every module body the bundle wraps in a function (pino, the
// backends, the dispatcher) was still compiled on each call: about 4 ms of a delegated call.
//
// Outside the executable (`node dist/sea-main.cjs ...`, build time only) it runs dist/hybrid-cpi.cjs
// and, with HYBRID_CPI_CODE_CACHE=FILE, writes the cache to FILE when the call ends, or, when FILE
// exists, exits 70 if V8 rejects it (scripts/build.mjs checks the cache that way).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import sea from 'node:sea';
import vm from 'node:vm';

// The asset names scripts/build.mjs embeds.
const BUNDLE_ASSET = 'hybrid-cpi.cjs';
const CACHE_ASSET = 'hybrid-cpi.code-cache';

function compile(source: string, filename: string, cachedData: Buffer | undefined): vm.Script {
  // The CommonJS wrapper, so that the bundle sees the variables a module sees.
  return new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename, cachedData });
}

function run(script: vm.Script, filename: string): void {
  const module = { exports: {} };
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, createRequire(filename), module, filename, path.dirname(filename));
}

if (sea.isSea()) {
  // Stack traces name the bundle as if it lay next to the executable.
  const filename = path.join(path.dirname(process.execPath), BUNDLE_ASSET);
  run(compile(sea.getAsset(BUNDLE_ASSET, 'utf8'), filename, Buffer.from(sea.getAsset(CACHE_ASSET))), filename);
} else {
  const filename = path.join(path.dirname(path.resolve(process.argv[1]!)), BUNDLE_ASSET);
  const cacheFile = process.env['HYBRID_CPI_CODE_CACHE'];
  const existing = cacheFile !== undefined && fs.existsSync(cacheFile) ? fs.readFileSync(cacheFile) : undefined;
  const script = compile(fs.readFileSync(filename, 'utf8'), filename, existing);
  if (existing !== undefined && script.cachedDataRejected === true) {
    process.stderr.write(`sea-main: V8 rejected the code cache ${cacheFile}\n`);
    process.exit(70);
  }
  if (cacheFile !== undefined && existing === undefined) process.on('exit', () => fs.writeFileSync(cacheFile, script.createCachedData()));
  run(script, filename);
}
