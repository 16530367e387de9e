import { CATALOGUE, type ErrorCode } from './catalogue.js';
import type { BoshErrorType } from './types.js';

const BRAND = Symbol.for('@hybrid-cpi/core.CpiError');

/**
 * The one error class of the proxy. Backends installed as separate packages may carry their own
 * copy of core, so recognise it with {@link isCpiError}, never with `instanceof` alone.
 */
export class CpiError extends Error {
  readonly code: ErrorCode;
  readonly type: BoshErrorType;
  readonly okToRetry: boolean;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; okToRetry?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CpiError';
    this.code = code;
    this.type = CATALOGUE[code].type;
    this.okToRetry = options.okToRetry ?? CATALOGUE[code].retry;
    Object.defineProperty(this, BRAND, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return isCpiError(value);
  }
}

export function isCpiError(value: unknown): value is CpiError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/** Throws a {@link CpiError}; handy in expressions. */
export function fail(code: ErrorCode, message: string, options?: { cause?: unknown; okToRetry?: boolean }): never {
  throw new CpiError(code, message, options);
}
