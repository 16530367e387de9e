import { parseArgs } from 'node:util';
import { didYouMean, errorResponse, serializeResponse, type CpiResponse } from '@hybrid-cpi/core';
import { EXIT } from './commands/command.js';
import { COMMANDS } from './commands/index.js';
import { lazyServeDeps, serve } from './serve.js';
import { basics } from './tokens.js';
import { guardStdout, readStdin } from './stdio.js';

/** Built only when shown: every CPI call is a new process. */
const usage = () => `Usage: hybrid-cpi --config FILE < request.json
       hybrid-cpi COMMAND [options]      (hybrid-cpi COMMAND --help for its options)

The BOSH CPI of bosh-hybrid-cpi: reads one CPI request from stdin, routes it to the configured
backend, and writes one response to stdout. The commands below are for operators.

Options:
  -c, --config FILE   the config file (JSON or YAML)
  -h, --help          show this help
  -v, --version       show the version
${
  Object.keys(COMMANDS).length === 0
    ? ''
    : `\nCommands:\n${Object.entries(COMMANDS)
        .map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`)
        .join('\n')}\n`
}`;

const VERSION = '0.1.0';

/** An operator command: a report for a person, exit 0 (fine), 1 (findings) or 2 (usage). */
async function runCommand(name: string, argv: string[]): Promise<number> {
  const command = await COMMANDS[name]!.load();
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(command.usage);
    return EXIT.ok;
  }
  // A command handles its own interruptions (lifecycle cleans up on ^C): this signal never fires.
  const container = (await import('./compose.js')).compose(basics(new AbortController().signal));
  const io = { out: (text: string) => process.stdout.write(text), err: (text: string) => process.stderr.write(text), terminal: process.stdout.isTTY === true };
  return command.run(argv, io, container);
}

/** A word where a command belongs that is none: said so, with the closest command (exit 2). */
function unknownCommand(word: string): number {
  process.stderr.write(`hybrid-cpi: '${word}' is not a command${didYouMean(word, Object.keys(COMMANDS))}\nRun 'hybrid-cpi --help' for the commands.\n`);
  return EXIT.usage;
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] !== undefined && Object.hasOwn(COMMANDS, argv[0])) return runCommand(argv[0], argv.slice(1));
  if (argv[0] !== undefined && !argv[0].startsWith('-')) return unknownCommand(argv[0]);
  let options: { config?: string | undefined; help?: boolean | undefined; version?: boolean | undefined };
  try {
    options = parseArgs({
      args: argv,
      options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' }, version: { type: 'boolean', short: 'v' } },
    }).values;
  } catch (error) {
    process.stderr.write(`hybrid-cpi: ${(error as Error).message}\n\n${usage()}`);
    return 2;
  }
  // Asked for, so they are the output (`hybrid-cpi --help | less`); a CPI call never gets here.
  if (options.help) {
    process.stdout.write(usage());
    return 0;
  }
  if (options.version) {
    process.stdout.write(`hybrid-cpi ${VERSION}\n`);
    return 0;
  }
  if (options.config === undefined) {
    process.stderr.write(`hybrid-cpi: --config FILE is required\n\n${usage()}`);
    return 2;
  }

  return callCpi(options.config);
}

/**
 * One CPI call. Whatever fails, even outside serve() (stdin unreadable, a crash in a callback),
 * the director gets one valid response, with secrets scrubbed from it, and exit 0.
 */
async function callCpi(configFile: string): Promise<number> {
  const respond = guardStdout();
  const controller = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => controller.abort(new Error(`received ${signal}`)));
  const deps = lazyServeDeps(controller.signal);
  const answer = (response: CpiResponse) => respond(serializeResponse(response, (t) => deps.secrets.scrub(t)));
  const last = (error: unknown) => {
    answer(errorResponse(error));
    process.exit(0);
  };
  process.on('uncaughtException', last);
  process.on('unhandledRejection', last);
  let response: CpiResponse;
  try {
    response = await serve(configFile, await readStdin(), deps);
  } catch (error) {
    response = errorResponse(error);
  }
  answer(response);
  return 0;
}

/**
 * What is left when even a response could not be written (stdout closed): the error's kind and
 * where it happened, never its message, which may quote the config or the request.
 */
function fatal(error: unknown): never {
  const frames = error instanceof Error ? (error.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line)) : [];
  process.stderr.write(
    `hybrid-cpi: internal error (${error instanceof Error ? error.name : typeof error}); its message is withheld, as it may hold ` +
      `secrets\n${frames.join('\n')}\n`,
  );
  process.exit(1);
}

main(process.argv.slice(2)).then((code) => process.exit(code), fatal);
