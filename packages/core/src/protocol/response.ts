import { classify, type WireError } from '../errors/index.js';

/** The response envelope the director validates (docs/architecture.md#the-protocol). */
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

/** An error message longer than this is cut: it is for a person, and it may quote a huge input. */
const MAX_MESSAGE = 65536;

/**
 * One JSON document that always meets the director's rules. A result that cannot be serialised
 * (a cycle, a BigInt) becomes an error response instead of a crash with nothing on stdout. A
 * non-empty `log` ends with a newline: the director appends it verbatim to the task's CPI log,
 * and the next call's first stderr line would be glued onto it.
 */
export function serializeResponse(response: CpiResponse, scrub: (text: string) => string = (t) => t): string {
  const log = scrub(response.log);
  const safe: CpiResponse = {
    result: response.error === null ? response.result : null,
    error: response.error === null ? null : { ...response.error, message: shorten(scrub(response.error.message)) },
    log: log === '' || log.endsWith('\n') ? log : `${log}\n`,
  };
  try {
    return JSON.stringify(safe);
  } catch (error) {
    return JSON.stringify(errorResponse(new Error(`the result could not be serialised: ${(error as Error).message}`), safe.log));
  }
}

function shorten(message: string): string {
  return message.length <= MAX_MESSAGE ? message : `${message.slice(0, MAX_MESSAGE)}… (cut: ${message.length} characters in all)`;
}
