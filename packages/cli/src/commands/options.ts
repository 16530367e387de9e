import { parseArgs } from 'node:util';
import { didYouMean } from '@hybrid-cpi/core';

/** A command line the command cannot run with: exit 2, with the message and a pointer to --help. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export type OptionSpec = Readonly<Record<string, { readonly type: 'string' | 'boolean'; readonly short?: string }>>;
type Values<S extends OptionSpec> = { [K in keyof S]?: S[K]['type'] extends 'string' ? string : boolean };

/**
 * Parses `--name value` options strictly (an unknown option, a missing value or a stray word is a
 * usage error) and checks that the `required` ones are there.
 */
export function parseOptions<S extends OptionSpec>(argv: readonly string[], spec: S, required: readonly (keyof S & string)[] = []): Values<S> {
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args: [...argv], options: spec as never, strict: true, allowPositionals: false }).values;
  } catch (error) {
    // node's messages are clear ("Unknown option '--x'"), but end with hints about '--' we do not take.
    const message = (error as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    const unknown = /^Unknown option '--([^']+)'/.exec(message)?.[1];
    throw new UsageError(
      unknown === undefined
        ? message
        : `${message}${didYouMean(
            `--${unknown}`,
            Object.keys(spec).map((o) => `--${o}`),
          )}`,
    );
  }
  for (const name of required) {
    if (values[name] === undefined) throw new UsageError(`--${name} is required`);
  }
  for (const [name, value] of Object.entries(values)) {
    if (value === '') throw new UsageError(`--${name} needs a value`);
  }
  return values as Values<S>;
}
