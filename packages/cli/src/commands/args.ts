import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A command line the command cannot run with: exit 2, the message and the usage on stderr. */
export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Strict option parsing (unknown options and stray arguments are usage errors), with the options
 * in `required` checked for presence. `--help` is handled by main.ts before a command runs.
 */
export function parseOptions<O extends Options>(argv: readonly string[], options: O, required: readonly (keyof O & string)[]) {
  let values;
  try {
    ({ values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }));
  } catch (error) {
    // node's messages are clear ("Unknown option '--x'"), but end with hints about '--' we do not take.
    throw new UsageError((error as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
  for (const name of required) {
    if ((values as Record<string, unknown>)[name] === undefined) throw new UsageError(`--${name} is required`);
  }
  return values;
}

/**
 * Runs `body`, turning a {@link UsageError} into exit 2 with the usage text on stderr, and any
 * other error into exit 1 with its message: an operator gets a sentence, never a stack trace.
 */
export async function withUsage(name: string, usage: string, err: (text: string) => void, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof UsageError) {
      err(`hybrid-cpi ${name}: ${error.message}\n\n${usage}`);
      return 2;
    }
    err(`hybrid-cpi ${name}: ${(error as Error)?.message ?? String(error)}\n`);
    return 1;
  }
}
