import fs from 'node:fs';
import path from 'node:path';
import type { BackendName } from '../cid/index.js';
import { CpiError, didYouMean, isCpiError } from '../errors/index.js';
import { loadBackendModule, type BuiltinModules } from '../backend/loader.js';
import type { BackendModule, ConfigValidator } from '../backend/module.js';
import { describeConfigErrors } from './error-paths.js';
import type { ConfigFile, HybridConfig, ResolvedBackend } from './types.js';

/**
 * Reads, validates and freezes the config file. JSON is the fast path (what the BOSH job
 * renders); anything else is parsed as YAML, loaded only then. Every problem is reported with
 * the key path it is about, all at once.
 */
export async function loadConfig(file: string, builtins: BuiltinModules): Promise<HybridConfig> {
  const raw = await parse(file, read(file));
  const { validate: core } = await import('../../generated/config/core.cjs');
  const problems: string[] = [];
  if (!core(raw)) problems.push(...describeConfigErrors(core.errors ?? [], '', (await import('./core-schema.js')).coreConfigSchema));
  // Whatever is wrong at the top level, every backend section that names a type is checked too:
  // an operator gets all the problems of the file at once.
  const config = raw as ConfigFile;
  const sections: Record<string, unknown> = isObject(raw) && isObject(raw['backends']) ? raw['backends'] : {};
  const names = Object.keys(sections);
  const reported = (key: string) => problems.some((p) => p.startsWith(`${key}:`));
  for (const key of ['default_backend', 'legacy_backend'] as const) {
    const value = isObject(raw) ? raw[key] : undefined;
    if (typeof value === 'string' && !names.includes(value) && !reported(key)) {
      problems.push(`${key}: names '${value}', which is not one of the backends (${names.join(', ')})${didYouMean(value, names)}`);
    }
  }
  if (isObject(raw) && raw['default_backend'] === undefined && names.length > 1) {
    problems.push(`default_backend: is required when there is more than one backend (${names.join(', ')})`);
  }

  const dir = path.dirname(path.resolve(file));
  // Relative plugin paths, like every path in the config, are the config file's directory's.
  const pluginPaths =
    isObject(raw) && Array.isArray(raw['plugin_paths'])
      ? raw['plugin_paths'].filter((p): p is string => typeof p === 'string').map((p) => path.resolve(dir, p))
      : [];
  if (pluginPaths.length > 0) (raw as { plugin_paths?: readonly string[] }).plugin_paths = pluginPaths;
  const searchPaths = [...pluginPaths, dir];
  const backends = new Map<BackendName, ResolvedBackend>();
  const unloadable: CpiError[] = [];
  for (const name of names) {
    const section = sections[name];
    if (!isObject(section) || typeof section['type'] !== 'string' || section['type'] === '') continue; // the core schema said so
    let module: BackendModule;
    try {
      module = await loadBackendModule(section['type'], builtins, searchPaths);
    } catch (error) {
      if (!isCpiError(error)) throw error;
      unloadable.push(error);
      problems.push(`backends.${name}.type: ${error.message}`);
      continue;
    }
    const validate = module.validateConfig ?? (await compile(module.configSchema!));
    if (!validate(section)) problems.push(...describeConfigErrors(validate.errors ?? [], `backends.${name}`, module.configSchema));
    else resolvePaths(section, module.pathKeys ?? [], dir);
    backends.set(name as BackendName, { name: name as BackendName, config: section as ResolvedBackend['config'], module });
  }
  // A package that does not load, and nothing else wrong: its own error, which says how to install it.
  if (unloadable.length === problems.length && unloadable[0] !== undefined) throw unloadable[0];
  if (problems.length > 0) fail(file, problems);

  deepFreeze(config);
  return Object.freeze({
    file,
    raw: config,
    defaultBackend: (config.default_backend ?? names[0]) as BackendName,
    legacyBackend: config.legacy_backend as BackendName | undefined,
    logLevel: config.log_level ?? 'info',
    backends,
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Each relative path at one of `keys` (dotted) made absolute against `dir`, the config file's directory. */
function resolvePaths(section: Record<string, unknown>, keys: readonly string[], dir: string): void {
  for (const key of keys) {
    const parts = key.split('.');
    const last = parts.pop()!;
    const parent = parts.reduce<unknown>(
      (node, part) => (typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[part] : undefined),
      section,
    );
    if (typeof parent !== 'object' || parent === null) continue;
    const value = (parent as Record<string, unknown>)[last];
    if (typeof value === 'string' && !path.isAbsolute(value)) (parent as Record<string, unknown>)[last] = path.resolve(dir, value);
  }
}

function read(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    const why: Record<string, string> = {
      ENOENT: 'does not exist',
      EACCES: 'cannot be read by this user (permission denied)',
      EISDIR: 'is a directory, not a file',
    };
    const reason = why[(error as NodeJS.ErrnoException).code ?? ''] ?? `cannot be read: ${(error as Error).message}`;
    throw new CpiError('CPX_CONFIG', `config file ${file} ${reason}`, { cause: error });
  }
}

async function parse(file: string, text: string): Promise<unknown> {
  if (/^\s*\{/.test(text)) {
    try {
      return JSON.parse(text);
    } catch {
      // Not JSON after all: YAML, a superset, either reads it or says where it breaks.
    }
  }
  // Lazy: YAML costs start-up time only to those who write YAML.
  const YAML = await import('yaml');
  const doc = YAML.parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) {
    // Never the parser's message: it quotes the source, and the source holds credentials.
    const where = doc.errors.map((e) => {
      const before = text.slice(0, e.pos[0]).split('\n');
      return `${e.message} at line ${before.length}, column ${before.at(-1)!.length + 1}`;
    });
    throw new CpiError('CPX_CONFIG', `Parsing config file ${file}: not valid JSON or YAML (${where.join('; ')})`);
  }
  return doc.toJS();
}

async function compile(schema: object): Promise<ConfigValidator> {
  const { Ajv } = await import('ajv');
  return new Ajv({ allErrors: true, strict: false }).compile(schema);
}

function fail(file: string, problems: readonly string[]): never {
  throw new CpiError('CPX_CONFIG', `Invalid config file ${file}:\n- ${problems.join('\n- ')}`);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
