import { spawn as nodeSpawn } from 'node:child_process';
import { LineSplitter } from './lines.js';

export interface ExecCpiOptions {
  /** argv of the CPI; the first element is the executable. No shell is involved. */
  readonly command: readonly string[];
  /** The request JSON, written to stdin, which is then closed. */
  readonly input: string;
  /** The whole environment of the CPI. */
  readonly env: Readonly<Record<string, string>>;
  /** Ends the CPI process after this long (undefined: no limit, as the director sets none). */
  readonly timeoutMs: number | undefined;
  /** Ends the CPI process when aborted (our own SIGTERM). */
  readonly signal: AbortSignal;
  /** Called for each line the CPI writes to stderr, while it runs. */
  readonly onStderrLine: (line: string) => void;
  /** How the process is started (BackendDeps.seams.spawn); node:child_process's by default. */
  readonly spawn?: Spawn | undefined;
}

export type Spawn = typeof nodeSpawn;

export interface ExecCpiResult {
  readonly stdout: string;
  readonly exitCode: number | undefined;
  readonly signal: string | undefined;
  readonly timedOut: boolean;
  readonly canceled: boolean;
  /** stdout went past {@link MAX_STDOUT_CHARS}; the process was stopped. */
  readonly stdoutTooLarge: boolean;
  /** Processes the CPI started still held its stdout or stderr after it exited; reading stopped. */
  readonly pipesHeld: boolean;
  /** Why the process could not run or be read (spawn errors such as ENOENT), if it could not. */
  readonly failure: string | undefined;
  readonly ms: number;
}

/**
 * A response is one JSON document the director too would buffer whole; the cap only stops a
 * runaway CPI from taking the proxy's memory with it.
 */
export const MAX_STDOUT_CHARS = 64 * 1024 * 1024;
/** How long a CPI may take to exit after SIGTERM (timeout or our own SIGTERM) before SIGKILL. */
const GRACE_MS = 5_000;
/** How long the pipes may stay open and quiet after the CPI exited. */
const PIPE_QUIET_MS = 1_000;

/**
 * Runs one CPI call the way the director does (docs/architecture.md#the-protocol). Never throws.
 * Plain `node:child_process`: execa would add ~20 ms of loading to every delegated call
 * with its dependencies, and what it would do here (a timeout, a grace period before
 * SIGKILL, a capped stdout buffer) takes a few lines.
 */
export function execCpi(options: ExecCpiOptions): Promise<ExecCpiResult> {
  const [file, ...args] = options.command;
  const started = performance.now();
  const stderr = new LineSplitter(options.onStderrLine);
  return new Promise((resolve) => {
    const child = (options.spawn ?? nodeSpawn)(file!, args, { env: options.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: string[] = [];
    let stdoutChars = 0;
    let stdoutTooLarge = false;
    let timedOut = false;
    let canceled = false;
    let exited = false;
    let pipesHeld = false;
    let exitCode: number | undefined;
    let exitSignal: string | undefined;
    let failure: string | undefined;
    let quiet: NodeJS.Timeout | undefined;
    let grace: NodeJS.Timeout | undefined;
    let done = false;

    // The CPI may leave processes running that hold its stdout and stderr open: once the CPI
    // itself is gone, stop reading them, at once when we stopped it, else when they have been
    // quiet for a moment (the CPI's own output is complete by then).
    const stopReading = () => {
      child.stdout.destroy();
      child.stderr.destroy();
    };
    const waitForQuiet = () => {
      clearTimeout(quiet);
      quiet = setTimeout(() => {
        pipesHeld = true;
        stopReading();
      }, PIPE_QUIET_MS);
    };
    // The signal goes to the CPI only, not its process group: CPIs may leave processes running.
    const stop = () => {
      if (exited) return;
      child.kill('SIGTERM');
      grace ??= setTimeout(() => child.kill('SIGKILL'), GRACE_MS);
    };
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      clearTimeout(quiet);
      clearTimeout(grace);
      options.signal.removeEventListener('abort', onAbort);
      stderr.end();
      resolve({
        stdout: stdout.join(''),
        exitCode,
        signal: exitSignal,
        timedOut,
        canceled,
        stdoutTooLarge,
        pipesHeld,
        failure,
        ms: performance.now() - started,
      });
    };
    const onAbort = () => {
      canceled = !timedOut;
      stop();
      if (exited) stopReading();
    };

    child.on('error', (error) => {
      // Spawning failed (ENOENT, EACCES): there is no process to wait for.
      failure = error.message;
      if (child.pid === undefined) finish();
    });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdoutChars += chunk.length;
      if (stdoutChars > MAX_STDOUT_CHARS) {
        stdoutTooLarge = true;
        stop();
        stopReading();
      } else stdout.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr.write(chunk);
      if (exited && !pipesHeld) waitForQuiet();
    });
    // A CPI that exits without reading its request closes the pipe under us: not our error.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input);
    child.once('exit', (code, signal) => {
      exited = true;
      exitCode = code ?? undefined;
      exitSignal = signal ?? undefined;
      if (timedOut || options.signal.aborted || stdoutTooLarge) stopReading();
      else waitForQuiet();
    });
    child.once('close', finish);
    if (options.signal.aborted) onAbort();
    else options.signal.addEventListener('abort', onAbort, { once: true });
    // Node's timers hold at most 2^31 - 1 ms (24.8 days), and fire at once beyond.
    const deadline =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(
            () => {
              timedOut = true;
              stop();
            },
            Math.min(options.timeoutMs, 2 ** 31 - 1),
          );
  });
}

/**
 * The director's environment is all a CPI gets (PATH, TMPDIR, HOME); the operator's additions
 * come on top. Nothing else of ours leaks through, as under the director.
 */
export function cpiEnvironment(own: NodeJS.ProcessEnv, additions: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of ['PATH', 'TMPDIR', 'HOME']) {
    const value = own[key];
    if (value !== undefined) env[key] = value;
  }
  return { ...env, ...additions };
}
