import { classify, type WireError } from '../errors/index.js';

/** The response envelope the director validates (reference/bosh-cpi.md §1.4). */
export interface CpiResponse {
  readonly result: unknown;
  readonly error: WireError | null;
  readonly log: string;
}

export function okResponse(result: unknown, log = ''): CpiResponse {
  return { result: result === undefined ? null : result, error: null, log };
}

export function errorResponse(error: unknown, log = ''): CpiResponse {
  return { result: null, error: classify(error), log };
}

/**
 * One JSON document that always meets the director's rules. A result that cannot be serialised
 * (a cycle, a BigInt) becomes an error response instead of a crash with nothing on stdout.
 */
export function serializeResponse(response: CpiResponse, scrub: (text: string) => string = (t) => t): string {
  const safe: CpiResponse = {
    result: response.error === null ? response.result : null,
    error: response.error === null ? null : { ...response.error, message: scrub(response.error.message) },
    log: scrub(response.log),
  };
  try {
    return JSON.stringify(safe);
  } catch (error) {
    return JSON.stringify(errorResponse(new Error(`the result could not be serialised: ${(error as Error).message}`), safe.log));
  }
}
