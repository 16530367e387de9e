import fs from 'node:fs';

/** Reads stdin to EOF: the director writes the request in one go and closes it, with no newline. */
export async function readStdin(): Promise<string> {
  try {
    return fs.readFileSync(0, 'utf8');
  } catch (error) {
    // A non-blocking stdin (some terminals and pipes) refuses a synchronous read.
    if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }
}

/**
 * Keeps stdout for the one response: anything a library prints through `console` or
 * `process.stdout` goes to stderr instead. Returns the only writer of stdout.
 */
export function guardStdout(): (text: string) => void {
  const toStderr = (...args: unknown[]) => process.stderr.write(`${args.map(String).join(' ')}\n`);
  console.log = toStderr;
  console.info = toStderr;
  console.debug = toStderr;
  process.stdout.write = ((chunk: string | Uint8Array) => process.stderr.write(chunk)) as typeof process.stdout.write;
  let written = false;
  return (text) => {
    if (written) return;
    written = true;
    fs.writeSync(1, text);
  };
}
