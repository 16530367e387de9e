import type { CallContext } from '../backend/backend.js';
import { silentLogger } from '../logging/logger.js';
import type { MethodName } from '../protocol/methods.js';

/**
 * The context of a backend call made directly, outside a director's request: the conformance
 * suite, and the operator commands that drive a live backend. Silent, never aborted.
 */
export function directCallContext(method: MethodName, options: { apiVersion: 1 | 2 | 3; directorUuid: string; requestId: string }): CallContext {
  return {
    method,
    apiVersion: options.apiVersion,
    requestedApiVersion: options.apiVersion,
    requestId: options.requestId,
    directorUuid: options.directorUuid,
    stemcellApiVersion: 3,
    context: { director_uuid: options.directorUuid },
    directorRequest: undefined,
    logger: silentLogger,
    responseLog: { append: () => undefined },
    signal: new AbortController().signal,
  };
}
