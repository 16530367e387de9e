import type { LogLevel } from '../config/types.js';
import type { LogFn, Logger } from './logger.js';

const LEVELS: Record<LogLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

interface Entry {
  readonly level: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  readonly bindings: Record<string, unknown>;
  readonly message: string | undefined;
}

/** What a logger and its children share: the held lines, then the real logger. */
interface Shared {
  readonly entries: Entry[];
  target: Logger | undefined;
}

/**
 * Holds log lines until a real logger is attached, then forwards to it. Loading pino costs a
 * CPI process ~10–15 ms: a call that logs nothing (`info` at the default level, before almost
 * every other call) never pays it, and a call that reaches a backend attaches pino once its
 * request to Ironic or the delegated CPI is under way, so the two overlap.
 */
export class BufferedLogger implements Logger {
  readonly #threshold: number;
  readonly #shared: Shared;
  readonly #bindings: Record<string, unknown>;

  constructor(level: LogLevel, shared: Shared = { entries: [], target: undefined }, bindings: Record<string, unknown> = {}) {
    this.#threshold = LEVELS[level];
    this.#shared = shared;
    this.#bindings = bindings;
  }

  trace = this.#at('trace');
  debug = this.#at('debug');
  info = this.#at('info');
  warn = this.#at('warn');
  error = this.#at('error');

  /** Lines held, waiting for a logger. */
  get size(): number {
    return this.#shared.entries.length;
  }

  get attached(): boolean {
    return this.#shared.target !== undefined;
  }

  isLevelEnabled(level: string): boolean {
    return LEVELS[level as LogLevel] >= this.#threshold;
  }

  child(bindings: Record<string, unknown>): Logger {
    const level = (Object.keys(LEVELS) as LogLevel[]).find((l) => LEVELS[l] === this.#threshold) ?? 'info';
    return new BufferedLogger(level, this.#shared, { ...this.#bindings, ...bindings });
  }

  /** Writes the held lines, in order, to `target`, and every later line too. */
  attach(target: Logger): void {
    this.#shared.target = target;
    for (const entry of this.#shared.entries.splice(0)) write(target, entry);
  }

  #at(level: Entry['level']): LogFn {
    return ((first: Record<string, unknown> | string, message?: string) => {
      if (LEVELS[level] < this.#threshold) return;
      const [extra, text] = typeof first === 'string' ? [{}, first] : [first, message];
      const entry = { level, bindings: { ...this.#bindings, ...extra }, message: text };
      if (this.#shared.target !== undefined) write(this.#shared.target, entry);
      else this.#shared.entries.push(entry);
    }) as LogFn;
  }
}

function write(target: Logger, { level, bindings, message }: Entry): void {
  if (message === undefined) target[level](bindings);
  else target[level](bindings, message);
}
