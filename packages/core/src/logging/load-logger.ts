import type { LogLevel } from '../config/types.js';
import type { Logger } from './logger.js';
import type { Secrets } from './secrets.js';

/** pino, loaded on demand: a call that writes no line must not pay for it (docs/architecture.md#start-up). */
export async function loadLogger(level: LogLevel, secrets: Secrets, fd?: number): Promise<Logger> {
  return (await import('./pino.js')).createLogger(level, secrets, fd);
}
