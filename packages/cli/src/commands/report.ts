import { messageOf, type Secrets } from '@hybrid-cpi/core';
import { TOKENS, resolve, type Resolver } from '../tokens.js';
import { EXIT, type CommandIo } from './command.js';
import { UsageError } from './options.js';

/**
 * Runs a command's body with the exits every command shares: a usage error is exit 2 with the
 * message on stderr; anything unexpected is exit 1 with its message (never a stack trace). What
 * the body learns as secret (the config's credentials) is scrubbed from everything it writes, as
 * a CPI call scrubs its log: a server's error message may echo what it was sent.
 */
export async function runReport(
  name: string,
  raw: CommandIo,
  container: Resolver,
  body: (io: CommandIo, secrets: Secrets) => Promise<number>,
): Promise<number> {
  const secrets = resolve(container, TOKENS.secrets);
  const io: CommandIo = { out: (text) => raw.out(secrets.scrub(text)), err: (text) => raw.err(secrets.scrub(text)), terminal: raw.terminal };
  try {
    return await body(io, secrets);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`hybrid-cpi ${name}: ${error.message}\nRun 'hybrid-cpi ${name} --help' for its usage.\n`);
      return EXIT.usage;
    }
    io.err(`hybrid-cpi ${name}: ${messageOf(error)}\n`);
    return EXIT.findings;
  }
}

/** `1 node`, `2 nodes`. */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
