import { PatternMatcher } from './aho-corasick.js';

/** Keys whose values are credentials wherever they appear (config, cloud_properties, context). */
const SECRET_KEY = /pass|secret|token|private|credential|cert|key|auth/i;
/** The parts of create_vm's `env` the director itself leaves unredacted. */
const PUBLIC_ENV_PATHS = new Set(['bosh.group', 'bosh.groups', 'bosh.tags']);
/** Values shorter than this are not scrubbed from free text: "a" would mangle every line. */
const MIN_KEYED = 3;
const MIN_UNKEYED = 8;
/**
 * Secrets up to this length are matched in every text; longer ones (an 8 MiB cpi-config value)
 * only in texts at least as long, so a log line never pays for building their automaton.
 */
const SHORT = 4096;

export const REDACTED = '[Redacted]';

/**
 * The secret strings of one process, scrubbed from every log line and every response message.
 * A JSON log line holds a secret in its escaped form (PEM keys have newlines), so both the raw
 * and the JSON-escaped spelling are removed.
 */
export class Secrets {
  #values = new Set<string>();
  /** The shortest value longer than SHORT: texts shorter than it are matched against short values only. */
  #shortestLong = Infinity;
  #short: PatternMatcher | undefined;
  #all: PatternMatcher | undefined;

  get size(): number {
    return this.#values.size;
  }

  add(value: string): void {
    for (const form of [value, JSON.stringify(value).slice(1, -1)]) {
      if (!this.#values.has(form)) {
        this.#values.add(form);
        if (form.length > SHORT) this.#shortestLong = Math.min(this.#shortestLong, form.length);
        this.#short = this.#all = undefined;
      }
    }
  }

  /** Values under secret-looking keys, at any depth. */
  addKeyed(value: unknown): void {
    walk(value, '', false, (leaf, _path, keyed) => {
      if (keyed && leaf.length >= MIN_KEYED) this.add(leaf);
    });
  }

  /** Every string leaf (create_vm `env`, cpi-config properties), except the paths given. */
  addAll(value: unknown, except: ReadonlySet<string> = new Set()): void {
    walk(value, '', false, (leaf, path, keyed) => {
      if ([...except].some((p) => path === p || path.startsWith(`${p}.`))) return;
      if (leaf.length >= (keyed ? MIN_KEYED : MIN_UNKEYED)) this.add(leaf);
    });
  }

  /** The secrets of a create_vm `env` argument. */
  addEnv(env: unknown): void {
    this.addAll(env, PUBLIC_ENV_PATHS);
  }

  /**
   * The text with every secret replaced by REDACTED, in time linear in the text whatever the
   * number and size of the secrets. Never throws: should the matcher not fit in memory, the
   * whole text is withheld rather than written unchecked.
   */
  scrub(text: string): string {
    if (this.#values.size === 0) return text;
    try {
      return this.#matcherFor(text.length).replaceAll(text, REDACTED);
    } catch {
      return `[${text.length} characters withheld: they could not be checked for secrets]`;
    }
  }

  #matcherFor(length: number): PatternMatcher {
    if (length < this.#shortestLong) {
      this.#short ??= new PatternMatcher([...this.#values].filter((v) => v.length <= SHORT));
      return this.#short;
    }
    this.#all ??= new PatternMatcher(this.#values);
    return this.#all;
  }
}

function walk(value: unknown, path: string, keyed: boolean, visit: (leaf: string, path: string, keyed: boolean) => void): void {
  if (typeof value === 'string') visit(value, path, keyed);
  else if (Array.isArray(value)) for (const v of value) walk(v, path, keyed, visit);
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      // `type` names a kind (`auth: {type: noauth}`), never a credential.
      walk(v, path === '' ? k : `${path}.${k}`, k !== 'type' && (keyed || SECRET_KEY.test(k)), visit);
    }
  }
}
