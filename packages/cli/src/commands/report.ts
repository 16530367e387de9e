import { EXIT, type CommandIo } from './command.js';
import { UsageError } from './options.js';

/**
 * Runs a command's body with the exits every command shares: a usage error is exit 2 with the
 * message on stderr; anything unexpected is exit 1 with its message (never a stack trace).
 */
export async function runReport(name: string, io: CommandIo, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`hybrid-cpi ${name}: ${error.message}\nRun 'hybrid-cpi ${name} --help' for its usage.\n`);
      return EXIT.usage;
    }
    io.err(`hybrid-cpi ${name}: ${(error as Error)?.message ?? String(error)}\n`);
    return EXIT.findings;
  }
}

/** `1 node`, `2 nodes`. */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
