import { execa } from 'execa';
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
}

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

/** Runs one CPI call the way the director does (reference/bosh-cpi.md §1.1). Never throws. */
export async function execCpi(options: ExecCpiOptions): Promise<ExecCpiResult> {
  const [file, ...args] = options.command;
  const started = performance.now();
  const stderr = new LineSplitter(options.onStderrLine);
  const subprocess = execa(file!, args, {
    input: options.input,
    env: options.env,
    extendEnv: false,
    // The signal goes to the CPI only, not its process group: CPIs may leave processes running.
    killDescendants: false,
    killSignal: 'SIGTERM',
    forceKillAfterDelay: GRACE_MS,
    cancelSignal: options.signal,
    // execa's exit hook (signal-exit) would re-raise our SIGTERM before a response is written;
    // `cancelSignal` ends the CPI on SIGTERM instead.
    cleanup: false,
    reject: false,
    encoding: 'utf8',
    stripFinalNewline: false,
    // stderr is relayed line by line as it comes, never held.
    buffer: { stdout: true, stderr: false },
    maxBuffer: { stdout: MAX_STDOUT_CHARS },
  });
  // The CPI may leave processes running that hold its stdout and stderr open, and execa waits
  // for the pipes: once the CPI itself is gone, stop reading them, at once when we stopped it,
  // else when they have been quiet for a moment (the CPI's own output is complete by then).
  let timedOut = false;
  let exited = false;
  let pipesHeld = false;
  let quiet: NodeJS.Timeout | undefined;
  const stopReading = () => {
    subprocess.stdout?.destroy();
    subprocess.stderr?.destroy();
  };
  const waitForQuiet = () => {
    clearTimeout(quiet);
    quiet = setTimeout(() => {
      pipesHeld = true;
      stopReading();
    }, PIPE_QUIET_MS);
  };
  subprocess.nodeChildProcess.once('exit', () => {
    exited = true;
    if (timedOut || options.signal.aborted) stopReading();
    else waitForQuiet();
  });
  subprocess.stderr?.on('data', (chunk: Buffer) => {
    stderr.write(chunk);
    if (exited && !pipesHeld) waitForQuiet();
  });
  subprocess.stderr?.on('close', () => stderr.end());
  const onAbort = () => exited && stopReading();
  options.signal.addEventListener('abort', onAbort, { once: true });
  const deadline = options.timeoutMs === undefined ? undefined : setTimeout(() => {
    if (exited) return;
    timedOut = true;
    subprocess.kill();
    // Node's timers hold at most 2^31 - 1 ms (24.8 days), and fire at once beyond.
  }, Math.min(options.timeoutMs, 2 ** 31 - 1));

  try {
    const result = await subprocess;
    const canceled = result.isCanceled || (options.signal.aborted && !timedOut);
    const failed = result.failed && !timedOut && !canceled && !result.isMaxBuffer && result.exitCode === undefined && result.signal === undefined;
    return {
      stdout: typeof result.stdout === 'string' ? result.stdout : '',
      exitCode: result.exitCode,
      signal: result.signal,
      timedOut,
      canceled,
      stdoutTooLarge: result.isMaxBuffer,
      pipesHeld,
      failure: failed && 'originalMessage' in result ? result.originalMessage : undefined,
      ms: performance.now() - started,
    };
  } finally {
    clearTimeout(deadline);
    clearTimeout(quiet);
    options.signal.removeEventListener('abort', onAbort);
  }
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
