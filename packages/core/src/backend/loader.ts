import { createRequire } from 'node:module';
import path from 'node:path';
import { CpiError } from '../errors/index.js';
import { BACKEND_CONTRACT, type BackendModule } from './module.js';

/** Built-in backend types, each loaded only when a configured backend uses it. */
export type BuiltinModules = Readonly<Record<string, () => Promise<BackendModule>>>;

/**
 * Finds the module of a backend `type`: a built-in, else an npm package of that name installed in
 * one of `searchPaths` (the config's `plugin_paths`, then the config file's directory). Loaded
 * with `require`, which on Node ≥ 22 also loads ES modules and, unlike `import()`, works inside
 * the single executable.
 */
export async function loadBackendModule(type: string, builtins: BuiltinModules, searchPaths: readonly string[]): Promise<BackendModule> {
  const builtin = builtins[type];
  if (builtin !== undefined) return checkDescriptor(await builtin(), type);
  const failures: string[] = [];
  for (const dir of searchPaths) {
    const require = createRequire(path.join(path.resolve(dir), 'hybrid-cpi-plugins.js'));
    let loaded: unknown;
    try {
      loaded = require(type);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'MODULE_NOT_FOUND' && String((error as Error).message).includes(`'${type}'`)) {
        failures.push(dir);
        continue;
      }
      throw new CpiError('CPX_BACKEND_LOAD', `Loading backend package '${type}' from ${dir}: ${(error as Error).message}`, { cause: error });
    }
    const candidate = (loaded as { default?: unknown }).default ?? loaded;
    return checkDescriptor(candidate, type);
  }
  const known = Object.keys(builtins).join(', ');
  throw new CpiError(
    'CPX_BACKEND_LOAD',
    `Loading backend type '${type}': it is not a built-in type (${known}) and no npm package of that name is installed in ` +
      `${failures.join(', ') || 'any plugin path'}; install it there or list its directory in plugin_paths`,
  );
}

function checkDescriptor(candidate: unknown, type: string): BackendModule {
  const m = candidate as Partial<BackendModule> | undefined;
  const problems: string[] = [];
  if (typeof m !== 'object' || m === null) problems.push('its default export is not an object');
  else {
    if (m.type !== type) problems.push(`it declares type '${String(m.type)}'`);
    if (m.contract !== BACKEND_CONTRACT) problems.push(`it implements backend contract ${String(m.contract)}, this core implements ${BACKEND_CONTRACT}`);
    if (typeof m.create !== 'function') problems.push('it has no create()');
    if (typeof m.stemcellFormats !== 'function') problems.push('it has no stemcellFormats()');
    if (m.operator !== undefined && typeof m.operator !== 'function') problems.push('its operator is not a function');
    if (typeof m.validateConfig !== 'function' && (typeof m.configSchema !== 'object' || m.configSchema === null)) {
      problems.push('it has neither configSchema nor validateConfig');
    }
  }
  if (problems.length > 0) throw new CpiError('CPX_BACKEND_LOAD', `Loading backend type '${type}': ${problems.join('; ')}`);
  return m as BackendModule;
}
