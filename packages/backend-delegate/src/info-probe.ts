import { DEFAULT_DELEGATE_API_VERSION, type DelegateConfig } from './config.js';
import { cpiEnvironment, execCpi, type Spawn } from './exec-cpi.js';
import { serializeRequest } from './request.js';
import { parseResponse } from './response.js';

/** What the delegate said to `info`, or why it said nothing usable. */
export type InfoAnswer =
  | { readonly ok: true; readonly apiVersion: number | undefined; readonly stemcellFormats: readonly string[] | undefined; readonly ms: number }
  | { readonly ok: false; readonly problem: string; readonly ms: number };

/**
 * Runs `info` on the delegate exactly as the backend runs its calls (same argv, environment,
 * context additions and response rules), as the director does: without an api_version.
 */
export async function probeInfo(config: DelegateConfig, options: { timeoutMs: number; signal: AbortSignal; spawn?: Spawn | undefined }): Promise<InfoAnswer> {
  const context = { director_uuid: 'hybrid-cpi-doctor', request_id: 'hybrid-cpi-doctor', ...config.context };
  const run = await execCpi({
    command: config.command,
    input: serializeRequest('info', [], context, undefined),
    env: cpiEnvironment(process.env, config.env),
    timeoutMs: config.timeout_seconds === undefined ? options.timeoutMs : Math.min(options.timeoutMs, config.timeout_seconds * 1000),
    signal: options.signal,
    onStderrLine: () => undefined,
    spawn: options.spawn,
  });
  const ms = run.ms;
  if (run.failure !== undefined) return { ok: false, problem: `could not run it: ${run.failure}`, ms };
  if (run.timedOut) return { ok: false, problem: `no answer within ${Math.round(options.timeoutMs / 1000)} s; the process was stopped`, ms };
  if (run.canceled) return { ok: false, problem: 'stopped before it answered', ms };
  const parsed = parseResponse(run.stdout);
  if (!parsed.ok) return { ok: false, problem: `no valid response: ${parsed.problem}${run.exitCode ? ` (exit status ${run.exitCode})` : ''}`, ms };
  const { result, error } = parsed.response;
  if (error !== null) return { ok: false, problem: `it answered ${error.type}: ${error.message}`, ms };
  if (typeof result !== 'object' || result === null) return { ok: false, problem: 'its info result is not an object', ms };
  const { api_version: apiVersion, stemcell_formats: formats } = result as Record<string, unknown>;
  return {
    ok: true,
    apiVersion: typeof apiVersion === 'number' ? apiVersion : undefined,
    stemcellFormats: Array.isArray(formats) && formats.every((f) => typeof f === 'string') ? formats : undefined,
    ms,
  };
}

/** The API version the backend speaks to this delegate (config, else the default). */
export function configuredApiVersion(config: DelegateConfig): number {
  return config.api_version ?? DEFAULT_DELEGATE_API_VERSION;
}
