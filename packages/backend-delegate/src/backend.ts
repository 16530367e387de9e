import { CpiError, directorArguments, everyMethod, methodSpec, type BackendDeps, type CallContext, type EveryMethod, type MethodName } from '@hybrid-cpi/core';
import { DEFAULT_DELEGATE_API_VERSION, type DelegateConfig } from './config.js';
import { MAX_STDOUT_CHARS, cpiEnvironment, execCpi, type ExecCpiResult, type Spawn } from './exec-cpi.js';
import { delegateRequest, forwardedApiVersion, type DelegatedCall } from './request.js';
import { delegateError, parseResponse } from './response.js';
import { readResult } from './results.js';

/** A delegate backend: every method of the table, each one run of the other CPI. */
export type DelegateBackend = EveryMethod;

/** Makes the backend of one `type: delegate` instance. */
export function createDelegateBackend(config: DelegateConfig, deps: Pick<BackendDeps, 'name' | 'seams'>): DelegateBackend {
  const cpi = new DelegateCpi(config, deps.name, deps.seams?.spawn as Spawn | undefined);
  return everyMethod((method, ctx, params) => cpi.call(method, ctx, params));
}

/**
 * Another CPI executable behind the proxy. Each method is one run of it, with the director's
 * request passed on as sent apart from the CIDs and the API version (docs/architecture.md#backends);
 * the delegate's own NotImplemented answers pass through for the optional methods it lacks. No
 * method has code of its own: the method table says where its CIDs are and what it returns.
 */
class DelegateCpi {
  readonly #config: DelegateConfig;
  readonly #name: string;
  readonly #apiVersion: number;
  readonly #spawn: Spawn | undefined;

  constructor(config: DelegateConfig, name: string, spawn: Spawn | undefined) {
    this.#config = config;
    this.#name = name;
    this.#spawn = spawn;
    this.#apiVersion = config.api_version ?? DEFAULT_DELEGATE_API_VERSION;
  }

  /** One backend method: its parameters as the director's arguments, the delegate's answer as its result. */
  async call(method: MethodName, ctx: CallContext, params: readonly unknown[]): Promise<unknown> {
    const spec = methodSpec(method);
    const call: DelegatedCall = {
      method,
      spec,
      args: directorArguments(spec, params),
      apiVersion: forwardedApiVersion(ctx.requestedApiVersion, this.#apiVersion),
    };
    return readResult(call, await this.#run(ctx, call), ctx.apiVersion);
  }

  /** One run of the delegate: its result, or its error as the director would see it. */
  async #run(ctx: CallContext, call: DelegatedCall): Promise<unknown> {
    const version = call.apiVersion;
    const input = delegateRequest(ctx, call, this.#config.context);
    // A call the core makes inside another method (a rollback) says which method it is.
    const logger = call.method === ctx.method ? ctx.logger : ctx.logger.child({ delegate_method: call.method });
    const run = await execCpi({
      command: this.#config.command,
      input,
      env: cpiEnvironment(process.env, this.#config.env),
      timeoutMs: this.#config.timeout_seconds === undefined ? undefined : Math.ceil(this.#config.timeout_seconds * 1000),
      signal: ctx.signal,
      onStderrLine: (line) => logger.info({ delegate_stderr: line }, 'delegate CPI stderr'),
      spawn: this.#spawn,
    });
    logger.debug(
      { command: this.#config.command[0], api_version: version ?? null, exit_code: run.exitCode ?? null, signal: run.signal ?? null, ms: Math.round(run.ms) },
      'delegate CPI finished',
    );
    if (run.pipesHeld) logger.warn('processes the delegate CPI started still held its stdout or stderr after it exited; stopped reading them');
    const doing = `${call.method} in backend '${this.#name}' (delegate CPI ${this.#config.command[0]})`;
    const broken = this.#brokenRun(run, doing);
    if (broken !== undefined) throw broken;
    const parsed = parseResponse(run.stdout);
    if (!parsed.ok) {
      if (run.stdout.trim() !== '')
        logger.warn({ delegate_stdout: run.stdout.slice(0, 1000) }, 'delegate CPI stdout that is not a response (first 1000 characters)');
      throw new CpiError('CPX_BACKEND_FAILURE', `${doing}: no valid response: ${parsed.problem}${exitDetail(run)}`);
    }
    const { result, error, log } = parsed.response;
    // Ruby CPIs put their whole debug log here: the operator reads it in the task's CPI log.
    ctx.responseLog.append(log);
    if (run.exitCode !== 0)
      logger.warn(
        { exit_code: run.exitCode ?? null, signal: run.signal ?? null },
        'delegate CPI exited abnormally after a valid response; using the response, as the director does',
      );
    if (error !== null) throw delegateError(error);
    return result;
  }

  #brokenRun(run: ExecCpiResult, doing: string): CpiError | undefined {
    if (run.failure !== undefined) return new CpiError('CPX_BACKEND_FAILURE', `${doing}: could not run it: ${run.failure}`);
    if (run.timedOut) {
      return new CpiError(
        'CPX_BACKEND_FAILURE',
        `${doing}: no answer within timeout_seconds (${this.#config.timeout_seconds} s); the CPI process was stopped${exitDetail(run)}`,
      );
    }
    if (run.canceled) return new CpiError('CPX_BACKEND_FAILURE', `${doing}: stopped because the proxy was asked to stop${exitDetail(run)}`);
    if (run.stdoutTooLarge)
      return new CpiError('CPX_BACKEND_FAILURE', `${doing}: its stdout grew past ${MAX_STDOUT_CHARS / 1048576} MiB; the CPI process was stopped`);
    return undefined;
  }
}

function exitDetail(run: ExecCpiResult): string {
  if (run.signal !== undefined) return ` (the CPI process ended by ${run.signal})`;
  if (run.exitCode !== undefined && run.exitCode !== 0) return ` (the CPI process exited with status ${run.exitCode})`;
  return '';
}
