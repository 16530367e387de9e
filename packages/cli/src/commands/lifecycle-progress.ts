import type { LogFn, Logger } from '@hybrid-cpi/core';

/** One line a backend logged while a step ran: what it waits for, and how far it is. */
export interface BackendLine {
  readonly level: 'info' | 'warn' | 'error';
  readonly message: string;
  /** The fields of the line (the backend's child bindings are left out: the suite's own IDs). */
  readonly fields: Readonly<Record<string, unknown>>;
}

/**
 * A logger for the backend under test that passes its info, warn and error lines on: the
 * progress a CPI call writes to the director's log (deploy state and elapsed time, upload
 * rate, a delegate's stderr) becomes the lifecycle command's progress.
 */
export function progressLogger(onLine: (line: BackendLine) => void): Logger {
  const make = (): Logger => {
    const at =
      (level: BackendLine['level']): LogFn =>
      (first: Record<string, unknown> | string, message?: string) =>
        onLine(typeof first === 'string' ? { level, message: first, fields: {} } : { level, message: message ?? '', fields: first });
    const quiet: LogFn = () => undefined;
    return {
      trace: quiet,
      debug: quiet,
      info: at('info'),
      warn: at('warn'),
      error: at('error'),
      isLevelEnabled: (level) => ['info', 'warn', 'error'].includes(level),
      child: () => make(),
    };
  };
  return make();
}

/** `deploying (node 6f…, state deploying, 12 s)`: a backend line for a person. */
export function describeLine(line: BackendLine): string {
  const fields = Object.entries(line.fields)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => (k === 'elapsed_s' ? `${String(v)} s` : `${k} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`));
  const level = line.level === 'info' ? '' : `${line.level}: `;
  return `${level}${line.message}${fields.length === 0 ? '' : ` (${fields.join(', ')})`}`;
}
