import fs from 'node:fs';
import path from 'node:path';
import type { BackendName } from '../cid/index.js';
import { CpiError } from '../errors/index.js';
import { loadBackendModule, type BuiltinModules } from '../backend/loader.js';
import type { ConfigValidator } from '../backend/module.js';
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
  if (!core(raw)) fail(file, describeConfigErrors(core.errors ?? []));
  const config = raw as ConfigFile;
  const dir = path.dirname(path.resolve(file));
  if (config.plugin_paths !== undefined) (raw as { plugin_paths?: readonly string[] }).plugin_paths = config.plugin_paths.map((p) => path.resolve(dir, p));

  const names = Object.keys(config.backends);
  const problems: string[] = [];
  for (const key of ['default_backend', 'legacy_backend'] as const) {
    const value = config[key];
    if (value !== undefined && !names.includes(value)) problems.push(`${key}: names '${value}', which is not one of the backends (${names.join(', ')})`);
  }
  if (config.default_backend === undefined && names.length > 1) {
    problems.push(`default_backend: is required when there is more than one backend (${names.join(', ')})`);
  }

  const searchPaths = [...(config.plugin_paths ?? []), dir];
  const backends = new Map<BackendName, ResolvedBackend>();
  for (const name of names) {
    const section = config.backends[name]!;
    const module = await loadBackendModule(section.type, builtins, searchPaths);
    const validate = module.validateConfig ?? (await compile(module.configSchema!));
    if (!validate(section)) problems.push(...describeConfigErrors(validate.errors ?? [], `backends.${name}`));
    else resolvePaths(section, module.pathKeys ?? [], dir);
    backends.set(name as BackendName, { name: name as BackendName, config: section, module });
  }
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

/** Each relative path at one of `keys` (dotted) made absolute against `dir`, the config file's directory. */
function resolvePaths(section: Record<string, unknown>, keys: readonly string[], dir: string): void {
  for (const key of keys) {
    const parts = key.split('.');
    const last = parts.pop()!;
    const parent = parts.reduce<unknown>((node, part) => (typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[part] : undefined), section);
    if (typeof parent !== 'object' || parent === null) continue;
    const value = (parent as Record<string, unknown>)[last];
    if (typeof value === 'string' && !path.isAbsolute(value)) (parent as Record<string, unknown>)[last] = path.resolve(dir, value);
  }
}

function read(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new CpiError('CPX_CONFIG', `Reading config file ${file}: ${(error as Error).message}`, { cause: error });
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
