import { isCpiError, loadConfig, messageOf, type HybridConfig, type Secrets } from '@hybrid-cpi/core';
import { TOKENS, resolve, type Resolver } from '../tokens.js';

/** A reason the config cannot be used, and what to do about it. */
export interface ConfigProblem {
  readonly text: string;
  readonly fix: string;
}

export type LoadedConfig = { readonly ok: true; readonly config: HybridConfig } | { readonly ok: false; readonly problems: readonly ConfigProblem[] };

/** Keys whose values are credentials, and the delegate sections that pass credentials on. */
const SECRET_KEY = /pass|secret|token|private|credential|key/i;
const SECRET_SECTION = /^backends\.[^.]+\.(env|context)$/;

/**
 * Learns the credentials in `raw` (a config, a cloud-config) into `secrets`. Narrower than a CPI
 * call's (which scrubs every value under any key that looks secret, `auth` included): a report
 * names the Ironic user and the backends, and would be unreadable with those redacted.
 * Passwords, tokens, keys and a delegate's `env` and `context` values are still never printed.
 */
export function learnSecrets(raw: unknown, secrets: Secrets): void {
  const walk = (value: unknown, path: string, secret: boolean): void => {
    if (typeof value === 'string') {
      if (secret && value.length >= 3) secrets.add(value);
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, child] of Object.entries(value)) {
        const childPath = path === '' ? key : `${path}.${key}`;
        walk(child, childPath, secret || SECRET_KEY.test(key) || SECRET_SECTION.test(childPath));
      }
    }
  };
  walk(raw, '', false);
}

/**
 * The config as a CPI call loads it (same validation, same backend modules), with its secrets
 * learnt (into the container's) so that no report line prints them. Problems come one per line, each with its key path.
 */
export async function loadOperatorConfig(file: string, container: Resolver): Promise<LoadedConfig> {
  try {
    const config = await loadConfig(file, resolve(container, TOKENS.builtins));
    learnSecrets(config.raw, resolve(container, TOKENS.secrets));
    return { ok: true, config };
  } catch (error) {
    const message = messageOf(error);
    if (!isCpiError(error)) return { ok: false, problems: [{ text: `loading ${file}: ${message}`, fix: 'see the message' }] };
    if (error.code === 'CPX_BACKEND_LOAD') {
      return {
        ok: false,
        problems: [
          {
            text: message,
            fix: "install the backend package (npm install) in the config file's directory or a plugin_paths directory, or correct the backend's type",
          },
        ],
      };
    }
    // "Invalid config file F:\n- a\n- b": one problem per key path.
    const [first, ...rest] = message.split('\n');
    const listed = rest.filter((line) => line.startsWith('- ')).map((line) => ({ text: line.slice(2), fix: `correct this in ${file}` }));
    if (listed.length > 0) return { ok: false, problems: listed };
    const fix = /^config file /.test(first!) ? 'pass the path of a config file this user can read' : `correct ${file} where the message says`;
    return { ok: false, problems: [{ text: first!, fix }] };
  }
}

export type ConfigResult =
  | { readonly config: HybridConfig; readonly problems?: undefined }
  | { readonly config?: undefined; readonly problems: readonly string[] };

/**
 * The config, or its problems one per line, for the commands that only list them (validate,
 * explain, nodes); its credentials are learnt into the process's secrets.
 */
export async function readConfig(file: string, container: Resolver): Promise<ConfigResult> {
  const loaded = await loadOperatorConfig(file, container);
  return loaded.ok ? { config: loaded.config } : { problems: loaded.problems.map((p) => p.text) };
}

/** Backend names with their types, for a report's first line. */
export function describeBackends(config: HybridConfig): string {
  return [...config.backends.values()].map((b) => `${b.name} (${b.config.type})`).join(', ');
}
