import { loadConfig, type HybridConfig, type Secrets } from '@hybrid-cpi/core';
import { BUILTIN_BACKENDS } from '../builtins.js';

export type ConfigResult = { readonly config: HybridConfig; readonly problems?: undefined } | { readonly config?: undefined; readonly problems: readonly string[] };

/**
 * The config as the CPI loads it, or its problems one per line (with their key paths, as core's
 * loadConfig reports them; never the file's contents, which hold credentials).
 */
export async function readConfig(file: string, secrets: Secrets): Promise<ConfigResult> {
  try {
    const config = await loadConfig(file, BUILTIN_BACKENDS);
    secrets.addKeyed(config.raw);
    return { config };
  } catch (error) {
    const [first = '', ...rest] = String((error as Error)?.message ?? error).split('\n');
    const listed = rest.filter((l) => l.startsWith('- ')).map((l) => l.slice(2));
    return { problems: listed.length > 0 ? listed : [first] };
  }
}

/** Backend names with their types, for a report's first line. */
export function describeBackends(config: HybridConfig): string {
  return [...config.backends.values()].map((b) => `${b.name} (${b.config.type})`).join(', ');
}
