import type { LogLevel } from '../config/types.js';
import type { LogFn, Logger } from './logger.js';

const LEVELS: Record<LogLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

interface Entry {
  readonly level: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  readonly bindings: Record<string, unknown>;
  readonly message: string | undefined;
}

/**
 * Holds the lines of a short call until it ends, so that a call which logs nothing (`info` at
 * the default level, before almost every other call) never loads pino at all. Only for calls that
 * finish in milliseconds: a long call wants its lines as they happen.
 */
export class BufferedLogger implements Logger {
  readonly #threshold: number;
  readonly #entries: Entry[];
  readonly #bindings: Record<string, unknown>;

  constructor(level: LogLevel, entries: Entry[] = [], bindings: Record<string, unknown> = {}) {
    this.#threshold = LEVELS[level];
    this.#entries = entries;
    this.#bindings = bindings;
  }

  trace = this.#at('trace');
  debug = this.#at('debug');
  info = this.#at('info');
  warn = this.#at('warn');
  error = this.#at('error');

  get size(): number {
    return this.#entries.length;
  }

  isLevelEnabled(level: string): boolean {
    return LEVELS[level as LogLevel] >= this.#threshold;
  }

  child(bindings: Record<string, unknown>): Logger {
    const level = (Object.keys(LEVELS) as LogLevel[]).find((l) => LEVELS[l] === this.#threshold) ?? 'info';
    return new BufferedLogger(level, this.#entries, { ...this.#bindings, ...bindings });
  }

  /** Writes the held lines, in order, to a real logger. */
  replay(target: Logger): void {
    for (const { level, bindings, message } of this.#entries.splice(0)) {
      if (message === undefined) target[level](bindings);
      else target[level](bindings, message);
    }
  }

  #at(level: Entry['level']): LogFn {
    return ((first: Record<string, unknown> | string, message?: string) => {
      if (LEVELS[level] < this.#threshold) return;
      const [extra, text] = typeof first === 'string' ? [{}, first] : [first, message];
      this.#entries.push({ level, bindings: { ...this.#bindings, ...extra }, message: text });
    }) as LogFn;
  }
}
