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
  keepBlocking(process.stdout);
  keepBlocking(process.stderr);
  const toStderr = (...args: unknown[]) => process.stderr.write(`${args.map(String).join(' ')}\n`);
  console.log = toStderr;
  console.info = toStderr;
  console.debug = toStderr;
  process.stdout.write = ((chunk: string | Uint8Array) => process.stderr.write(chunk)) as typeof process.stdout.write;
  let written = false;
  return (text) => {
    if (written) return;
    written = true;
    const bytes = Buffer.from(text);
    for (let offset = 0; offset < bytes.length; ) offset += fs.writeSync(1, bytes, offset);
  };
}

/**
 * Node turns the stdio pipes it wraps non-blocking (so do libraries that touch them, execa
 * among them). The response and the log lines are written synchronously: on a full
 * non-blocking pipe that is EAGAIN, or pino's 100 ms back-off per line. Blocking pipes wait
 * only as long as the reader needs.
 */
function keepBlocking(stream: NodeJS.WriteStream): void {
  (stream as unknown as { _handle?: { setBlocking?: (blocking: boolean) => number } })._handle?.setBlocking?.(true);
}
