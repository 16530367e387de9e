import pino from 'pino';
import type { LogLevel } from '../config/types.js';
import type { Logger } from './logger.js';
import { REDACTED, type Secrets } from './secrets.js';

/**
 * pino writing synchronously to stderr: a CPI process exits right after its response, and an
 * asynchronous destination would lose the last lines. Known secret keys are redacted by path, and
 * every line is scrubbed of the process's secret strings before it is written.
 */
export function createLogger(level: LogLevel, secrets: Secrets, fd = 2): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: [
          'password',
          '*.password',
          'secret',
          '*.secret',
          'token',
          '*.token',
          'private_key',
          '*.private_key',
          'env',
          '*.env',
          'cloud_properties',
          '*.cloud_properties',
          'headers.authorization',
          '*.headers.authorization',
        ],
        censor: REDACTED,
      },
      hooks: { streamWrite: (line) => secrets.scrub(line) },
    },
    pino.destination({ fd, sync: true }),
  ) as unknown as Logger;
}
