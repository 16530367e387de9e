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
 *
 * Node's stdio streams are made only when first used, and making the first one loads Node's
 * networking code (~2.5 ms, a twelfth of `info`): `process.stdout` becomes `process.stderr`, so
 * no stream is ever made for fd 1, and the one for fd 2 only when something writes to it.
 */
export function guardStdout(): (text: string) => void {
  const makeStderr = Object.getOwnPropertyDescriptor(process, 'stderr')?.get;
  let stderr: NodeJS.WriteStream | undefined;
  const getStderr = () => (stderr ??= keepBlocking(makeStderr!.call(process) as NodeJS.WriteStream));
  Object.defineProperty(process, 'stderr', { configurable: true, enumerable: true, get: getStderr });
  Object.defineProperty(process, 'stdout', { configurable: true, enumerable: true, get: getStderr });
  const toStderr = (...args: unknown[]) => getStderr().write(`${args.map(String).join(' ')}\n`);
  console.log = toStderr;
  console.info = toStderr;
  console.debug = toStderr;
  let written = false;
  return (text) => {
    if (written) return;
    written = true;
    writeAll(1, Buffer.from(text));
  };
}

/**
 * Node turns the stdio pipes it wraps non-blocking. The log lines are written synchronously
 * (pino on fd 2): on a full non-blocking pipe that is EAGAIN, or pino's 100 ms back-off per line.
 * A blocking pipe waits only as long as the reader needs.
 */
function keepBlocking(stream: NodeJS.WriteStream): NodeJS.WriteStream {
  (stream as unknown as { _handle?: { setBlocking?: (blocking: boolean) => number } })._handle?.setBlocking?.(true);
  return stream;
}

/** Writes all of `bytes`, waiting out a full pipe even if a parent made fd non-blocking. */
function writeAll(fd: number, bytes: Buffer): void {
  for (let offset = 0; offset < bytes.length; ) {
    try {
      offset += fs.writeSync(fd, bytes, offset);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}
