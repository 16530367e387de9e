import type { Logger } from '../logging/logger.js';
import type { CpiRequest } from '../protocol/request.js';
import { errorResponse, okResponse, type CpiResponse } from '../protocol/response.js';
import { Call } from './call.js';
import type { BackendRegistry } from './registry.js';
import { route } from './routes.js';

/**
 * Serves one validated request: routes it, calls the backend(s), and shapes the response. Never
 * throws; every failure becomes an error response the director understands.
 */
export async function dispatch(request: CpiRequest, registry: BackendRegistry, logger: Logger, signal: AbortSignal): Promise<CpiResponse> {
  const started = performance.now();
  const call = new Call(request, registry, logger, signal);
  const summary = (outcome: string) =>
    `${request.method} → ${call.reached.length > 0 ? call.reached.join(', ') : 'core'}: ${outcome} (${Math.round(performance.now() - started)} ms)`;
  // `info` comes before almost every call: keep it out of the info-level log.
  const level = request.method === 'info' ? 'debug' : 'info';
  try {
    const result = await route(call);
    const log = summary('ok');
    logger[level]({ backends: call.reached }, log);
    return okResponse(result, call.log.withSummary(log));
  } catch (error) {
    const response = errorResponse(error);
    const log = summary(`failed with ${response.error?.type}`);
    logger.error({ backends: call.reached, type: response.error?.type, code: (error as { code?: unknown }).code }, `${log}: ${response.error?.message}`);
    return { ...response, log: call.log.withSummary(log) };
  }
}
