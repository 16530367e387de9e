// Shared by the delegate backend's tests: the fixture CPI (test/fixtures/fake-cpi), a state
// directory per test, call contexts as the core builds them, and a logger that records.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BackendName, CallContext, CidKind, Logger, MethodName, NativeCid, ResponseLog } from '@hybrid-cpi/core';
import { createDelegateBackend, type DelegateBackend } from '../../src/backend.js';
import type { DelegateConfig } from '../../src/config.js';

export const FAKE_CPI = path.resolve(import.meta.dirname, '../../../../test/fixtures/fake-cpi/fake-cpi.mjs');

/** One call as the fixture recorded it. */
export interface RecordedCall {
  pid: number;
  argv: string[];
  env: Record<string, string>;
  /** The request exactly as read from stdin. */
  stdin: string;
}

/** What the fixture can be told to do (see fake-cpi.mjs). */
export interface Control {
  mode?: 'error' | 'hang' | 'hang-ignoring-term' | 'garbage' | 'nothing' | 'raw' | 'exit' | 'crash' | 'flood';
  methods?: string[];
  once?: boolean;
  error?: { type: string; message: string; ok_to_retry: boolean };
  exit_code?: number;
  stdout?: string;
  stderr_bytes?: number;
  line_bytes?: number;
  log?: string;
  not_implemented?: string[];
  ruby_not_implemented?: string[];
}

/** A state directory of the fixture, and what it says about the calls it received. */
export class FakeCpi {
  readonly dir: string;

  constructor(readonly apiVersion = 2) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-cpi-'));
  }

  get command(): string[] {
    return [FAKE_CPI, '--state', this.dir, '--api-version', String(this.apiVersion)];
  }

  control(control: Control | undefined): void {
    const file = path.join(this.dir, 'control.json');
    if (control === undefined) fs.rmSync(file, { force: true });
    else fs.writeFileSync(file, JSON.stringify(control));
  }

  calls(): RecordedCall[] {
    const file = path.join(this.dir, 'calls.jsonl');
    if (!fs.existsSync(file)) return [];
    return fs
      .readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as RecordedCall);
  }

  lastCall(): RecordedCall {
    const call = this.calls().at(-1);
    if (call === undefined) throw new Error(`the fake CPI in ${this.dir} received no call`);
    return call;
  }

  /** The last request, parsed. */
  lastRequest(): { method: string; arguments: unknown[]; context: Record<string, unknown>; api_version?: number } {
    return JSON.parse(this.lastCall().stdin);
  }

  /** A resource record of the fixture, or undefined. */
  record(kind: 'stemcells' | 'vms' | 'disks' | 'snapshots' | 'networks', cid: string): Record<string, unknown> | undefined {
    const file = path.join(this.dir, kind, `${encodeURIComponent(cid)}.json`);
    return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>) : undefined;
  }

  cleanup(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export function delegateConfig(cpi: FakeCpi, extra: Partial<DelegateConfig> = {}): DelegateConfig {
  return { type: 'delegate', command: cpi.command, api_version: cpi.apiVersion as 1 | 2 | 3, stemcell_formats: ['vsphere-ova', 'vsphere-ovf'], ...extra };
}

export function delegateBackend(cpi: FakeCpi, extra: Partial<DelegateConfig> = {}): DelegateBackend {
  return createDelegateBackend(delegateConfig(cpi, extra), { name: 'vms' as BackendName });
}

/** A native CID of the kind where it is passed. */
export const native = <K extends CidKind>(cid: string) => cid as NativeCid<K>;

export interface LogEntry {
  level: string;
  bindings: Record<string, unknown>;
  message: string | undefined;
}

/** A logger that keeps every entry (or, with `keep: false`, only counts them). */
export class RecordingLogger implements Logger {
  readonly entries: LogEntry[] = [];
  readonly counts = { lines: 0, chars: 0 };

  constructor(
    private readonly bindings: Record<string, unknown> = {},
    private readonly keep = true,
    private readonly root?: RecordingLogger,
  ) {}

  #log(level: string, a: Record<string, unknown> | string, message?: string): void {
    const target = this.root ?? this;
    const bindings = typeof a === 'string' ? { ...this.bindings } : { ...this.bindings, ...a };
    target.counts.lines += 1;
    const line = bindings['delegate_stderr'];
    if (typeof line === 'string') target.counts.chars += line.length;
    if (target.keep) target.entries.push({ level, bindings, message: typeof a === 'string' ? a : message });
  }

  trace = (a: Record<string, unknown> | string, m?: string) => this.#log('trace', a, m);
  debug = (a: Record<string, unknown> | string, m?: string) => this.#log('debug', a, m);
  info = (a: Record<string, unknown> | string, m?: string) => this.#log('info', a, m);
  warn = (a: Record<string, unknown> | string, m?: string) => this.#log('warn', a, m);
  error = (a: Record<string, unknown> | string, m?: string) => this.#log('error', a, m);
  isLevelEnabled = () => true;
  child = (bindings: Record<string, unknown>): Logger => new RecordingLogger({ ...this.bindings, ...bindings }, this.keep, this.root ?? this);

  /** Values of one binding across the entries that have it. */
  values(key: string): unknown[] {
    return this.entries.filter((e) => Object.hasOwn(e.bindings, key)).map((e) => e.bindings[key]);
  }
}

export interface ContextOptions {
  /** `api_version` as the director sent it; omit the key for a request without one. */
  requestedApiVersion?: number | undefined;
  context?: Record<string, unknown>;
  logger?: Logger;
  responseLog?: ResponseLog;
  signal?: AbortSignal;
}

export const DIRECTOR_CONTEXT = { director_uuid: 'd6b8f2a3-1d4c-4e1b-9c9f-0d5b8a7e6f10', request_id: 'cpi-123456' };

/** A CallContext as the core builds it for a director's request of `method` with `args` (its text as JSON.stringify writes it). */
export function callContext(method: MethodName, args: readonly unknown[], options: ContextOptions = {}): CallContext {
  const requested = Object.hasOwn(options, 'requestedApiVersion') ? options.requestedApiVersion : 2;
  const context: Record<string, unknown> = options.context ?? DIRECTOR_CONTEXT;
  const stemcellApi = (context['vm'] as { stemcell?: { api_version?: number } } | undefined)?.stemcell?.api_version;
  return {
    method,
    apiVersion: (requested ?? 1) as 1 | 2 | 3,
    requestedApiVersion: requested,
    requestId: typeof context['request_id'] === 'string' ? context['request_id'] : undefined,
    directorUuid: typeof context['director_uuid'] === 'string' ? context['director_uuid'] : undefined,
    stemcellApiVersion: stemcellApi,
    context,
    directorRequest: JSON.stringify({ method, arguments: args, context, ...(requested === undefined ? {} : { api_version: requested }) }),
    logger: options.logger ?? new RecordingLogger(),
    responseLog: options.responseLog ?? { append: () => undefined },
    signal: options.signal ?? new AbortController().signal,
  };
}

/** True while a process with this PID exists (zombies included). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
