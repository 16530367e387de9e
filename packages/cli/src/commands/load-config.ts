import { Secrets, isCpiError, loadConfig, type HybridConfig } from '@hybrid-cpi/core';
import { BUILTIN_BACKENDS } from '../builtins.js';

export type LoadedConfig = { readonly ok: true; readonly config: HybridConfig; readonly secrets: Secrets } | { readonly ok: false; readonly problems: readonly string[] };

/**
 * The config as a CPI call loads it (same validation, same backend modules), with its secrets
 * learnt so that no report line prints them. Problems come one per line, each with its key path.
 */
export async function loadOperatorConfig(file: string): Promise<LoadedConfig> {
  try {
    const config = await loadConfig(file, BUILTIN_BACKENDS);
    const secrets = new Secrets();
    secrets.addKeyed(config.raw);
    return { ok: true, config, secrets };
  } catch (error) {
    if (!isCpiError(error)) return { ok: false, problems: [`loading ${file}: ${(error as Error)?.message ?? String(error)}`] };
    // "Invalid config file F:\n- a\n- b": one problem per key path.
    const [first, ...rest] = error.message.split('\n');
    const listed = rest.filter((line) => line.startsWith('- ')).map((line) => line.slice(2));
    return { ok: false, problems: listed.length > 0 ? listed : [first!] };
  }
}
