// Runs the built hybrid-cpi executable the way the BOSH director does (one process per call, the
// request on stdin, stdin closed, a bare environment) and checks its answers against the
// director's response rules (docs/architecture.md#the-protocol).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../../..');
export const BINARY = path.join(REPO_ROOT, 'packages/cli/dist/hybrid-cpi');
if (!fs.existsSync(BINARY)) {
  throw new Error(`The e2e tests run the built executable, and ${BINARY} does not exist: run \`node scripts/build.mjs\` first`);
}

/** The ten `Bosh::Clouds::*` error types the director knows; anything else is an UnknownError. */
export const KNOWN_ERROR_TYPES = [
  'Bosh::Clouds::CpiError',
  'Bosh::Clouds::NotImplemented',
  'Bosh::Clouds::NotSupported',
  'Bosh::Clouds::CloudError',
  'Bosh::Clouds::VMNotFound',
  'Bosh::Clouds::NetworkNotFound',
  'Bosh::Clouds::NoDiskSpace',
  'Bosh::Clouds::DiskNotAttached',
  'Bosh::Clouds::DiskNotFound',
  'Bosh::Clouds::VMCreationFailed',
] as const;
export type KnownErrorType = (typeof KNOWN_ERROR_TYPES)[number];

export interface CpiErrorBody {
  type: KnownErrorType;
  message: string;
  ok_to_retry: boolean;
}

export interface CpiResponse {
  result: unknown;
  error: CpiErrorBody | null;
  log: string;
}

/** One finished process. */
export interface CpiRun {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Wall-clock time from spawn to exit. */
  ms: number;
}

/** The request envelope (docs/architecture.md#the-protocol). */
export interface CpiRequest {
  method: string;
  arguments: unknown[];
  context?: Record<string, unknown>;
  api_version?: number;
}

/** Exactly what survives the director's `unsetenv_others: true`. */
export function directorEnv(tmp: string): Record<string, string> {
  return { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', TMPDIR: tmp, HOME: tmp };
}

export interface RunOptions {
  /** TMPDIR and HOME of the process. */
  tmp: string;
  /** Kills the process (SIGKILL) after this long; the run then fails the response rules. */
  timeoutMs?: number;
  /** Command-line arguments; default `--config <configFile>`. */
  argv?: string[];
}

/**
 * Spawns the binary with `--config configFile`, writes `stdin` in one go and closes it (a
 * request object is serialised compactly with no trailing newline, as Ruby's JSON.dump does).
 */
export function runCpi(configFile: string, stdin: string | Buffer | CpiRequest, options: RunOptions): Promise<CpiRun> {
  const input = typeof stdin === 'string' || Buffer.isBuffer(stdin) ? stdin : JSON.stringify(stdin);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(BINARY, options.argv ?? ['--config', configFile], {
      env: directorEnv(options.tmp),
      cwd: options.tmp,
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 60_000,
      killSignal: 'SIGKILL',
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    // The process may exit before reading everything (it must not, but then we want its answer,
    // not an EPIPE in the test).
    child.stdin.on('error', () => undefined);
    child.on('error', reject);
    child.on('close', (exitCode, signal) =>
      resolve({
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        exitCode,
        signal,
        ms: performance.now() - started,
      }),
    );
    child.stdin.end(input);
  });
}

/**
 * Every way `run` breaks the director's response rules (empty when it keeps them): stdout is
 * exactly one JSON object with `result`, `error` and `log`; `log` is a string; `error` is null or
 * `{type, message, ok_to_retry}` with a known type, and then `result` is null; exit status 0.
 */
export function responseProblems(run: CpiRun): { response: CpiResponse | undefined; problems: string[] } {
  const problems: string[] = [];
  if (run.signal !== null) problems.push(`the process was killed by ${run.signal}`);
  if (run.exitCode !== 0) problems.push(`exit status ${String(run.exitCode)}, expected 0`);
  let body: unknown;
  try {
    body = JSON.parse(run.stdout);
  } catch (error) {
    problems.push(`stdout is not one JSON document (${(error as Error).message})`);
    return { response: undefined, problems };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    problems.push(`stdout is JSON but not an object: ${run.stdout.slice(0, 200)}`);
    return { response: undefined, problems };
  }
  const record = body as Record<string, unknown>;
  for (const key of ['result', 'error', 'log']) if (!Object.hasOwn(record, key)) problems.push(`key '${key}' is missing`);
  if (typeof record['log'] !== 'string') problems.push(`log is ${JSON.stringify(record['log'])}, not a string`);
  const error = record['error'];
  if (error !== null && error !== undefined) {
    if (typeof error !== 'object' || Array.isArray(error)) {
      problems.push(`error is ${JSON.stringify(error)}, neither null nor an object`);
    } else {
      const e = error as Record<string, unknown>;
      if (!KNOWN_ERROR_TYPES.includes(e['type'] as KnownErrorType)) problems.push(`error.type ${JSON.stringify(e['type'])} is not one the director knows`);
      if (typeof e['message'] !== 'string') problems.push(`error.message is ${JSON.stringify(e['message'])}, not a string`);
      if (typeof e['ok_to_retry'] !== 'boolean') problems.push(`error.ok_to_retry is ${JSON.stringify(e['ok_to_retry'])}, not a boolean`);
      if (record['result'] !== null) problems.push(`error is set but result is ${JSON.stringify(record['result'])}, not null`);
    }
  }
  return { response: problems.length === 0 ? (record as unknown as CpiResponse) : undefined, problems };
}

/** Asserts the director's response rules and returns the parsed response. */
export function expectDirectorResponse(run: CpiRun): CpiResponse {
  const { response, problems } = responseProblems(run);
  expect(problems, describeRun(run)).toEqual([]);
  return response!;
}

export function describeRun(run: CpiRun): string {
  return `exit ${String(run.exitCode)} signal ${String(run.signal)} after ${Math.round(run.ms)} ms\nstdout: ${run.stdout}\nstderr: ${run.stderr.slice(-4000)}`;
}

/** A per-file scratch directory for configs, state files and images; removed by `cleanup`. */
export class Workspace {
  readonly dir: string;

  constructor(name: string) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `hybrid-cpi-e2e-${name}-`));
  }

  path(...parts: string[]): string {
    return path.join(this.dir, ...parts);
  }

  /** Writes a config (an object as JSON, a string as is) and returns its path. */
  writeConfig(name: string, config: object | string): string {
    const file = this.path(name);
    fs.writeFileSync(file, typeof config === 'string' ? config : JSON.stringify(config, null, 2));
    return file;
  }

  /** An (empty) stemcell image file, as create_stemcell of a memory backend needs one. */
  image(name: string): string {
    const file = this.path(name);
    fs.writeFileSync(file, 'not really a disk image\n');
    return file;
  }

  cleanup(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The state file of a `type: memory` backend. */
export interface MemoryState {
  stemcells: Record<string, { imagePath: string }>;
  vms: Record<string, { agentId: string; stemcell: string; disks: string[]; metadata: Record<string, unknown>; reboots: number }>;
  disks: Record<string, { size: number; vm: string | null; metadata: Record<string, unknown> }>;
  snapshots: Record<string, { disk: string }>;
}

export function emptyMemoryState(): MemoryState {
  return { stemcells: {}, vms: {}, disks: {}, snapshots: {} };
}

/** A memory backend's state; a file that does not exist yet is an empty state. */
export function readMemoryState(file: string): MemoryState {
  if (!fs.existsSync(file)) return emptyMemoryState();
  return JSON.parse(fs.readFileSync(file, 'utf8')) as MemoryState;
}

export function writeMemoryState(file: string, state: MemoryState): void {
  fs.writeFileSync(file, JSON.stringify(state, null, 1));
}

let requestCounter = 100000;
/** A director-style request id (`cpi-` and six digits), unique within this test process. */
export function nextRequestId(): string {
  requestCounter = requestCounter >= 999999 ? 100000 : requestCounter + 1;
  return `cpi-${requestCounter}`;
}

export const DIRECTOR_UUID = '6b8f2a3e-1d4c-4e1b-9c9f-0d5b8a7e6f10';

export interface CallOptions {
  apiVersion?: number;
  context?: Record<string, unknown>;
}

/** The answer to one call, with the process it came from. */
export interface CallResult {
  run: CpiRun;
  response: CpiResponse;
  request: CpiRequest;
}

/** Calls the CPI with one config, checking every response against the director's rules. */
export class Cpi {
  constructor(
    readonly configFile: string,
    readonly tmp: string,
  ) {}

  request(method: string, args: unknown[], options: CallOptions = {}): CpiRequest {
    const request: CpiRequest = {
      method,
      arguments: args,
      context: options.context ?? { director_uuid: DIRECTOR_UUID, request_id: nextRequestId() },
    };
    if (options.apiVersion !== undefined) request.api_version = options.apiVersion;
    return request;
  }

  async call(method: string, args: unknown[], options: CallOptions = {}): Promise<CallResult> {
    const request = this.request(method, args, options);
    const run = await runCpi(this.configFile, request, { tmp: this.tmp });
    return { run, response: expectDirectorResponse(run), request };
  }

  /** Calls and expects success; returns the result. */
  async ok<T = unknown>(method: string, args: unknown[], options: CallOptions = {}): Promise<T> {
    const { run, response } = await this.call(method, args, options);
    expect(response.error, `${method} should succeed\n${describeRun(run)}`).toBeNull();
    return response.result as T;
  }

  /** Calls and expects an error of `type`; returns the error. */
  async fails(type: KnownErrorType, method: string, args: unknown[], options: CallOptions = {}): Promise<CpiErrorBody> {
    const { run, response } = await this.call(method, args, options);
    expect(response.error?.type, `${method} should fail with ${type}\n${describeRun(run)}`).toBe(type);
    return response.error!;
  }
}

/**
 * Calls the way the director does: a fresh `info` (no api_version) before every call, then the
 * call itself with `api_version = min(info.api_version, 3)` (docs/architecture.md#the-protocol).
 */
export class Director extends Cpi {
  override async call(method: string, args: unknown[], options: CallOptions = {}): Promise<CallResult> {
    const info = await super.call('info', []);
    expect(info.response.error, describeRun(info.run)).toBeNull();
    const reported = (info.response.result as { api_version: number }).api_version;
    expect(reported).toBeGreaterThanOrEqual(2);
    return super.call(method, args, { apiVersion: Math.min(reported, 3), ...options });
  }
}

/** Runs `tasks` with at most `limit` at a time, keeping the results in order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
