import { isCpiError } from './cpi-error.js';
import { isBoshErrorType, RETRIABLE_TYPES, type BoshErrorType } from './types.js';

export interface WireError {
  type: BoshErrorType;
  message: string;
  ok_to_retry: boolean;
}

/**
 * Turns anything thrown into the director's error object. `ok_to_retry` survives only on the
 * retriable types: the director ignores it elsewhere, and a stray `true` would mislead operators.
 */
export function classify(error: unknown): WireError {
  if (isCpiError(error)) {
    return { type: error.type, message: error.message, ok_to_retry: RETRIABLE_TYPES.has(error.type) && error.okToRetry };
  }
  return { type: 'Bosh::Clouds::CloudError', message: `Unexpected error: ${messageOf(error)}`, ok_to_retry: false };
}

/** An error's message without the stack (anything thrown, as text). */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Maps an error type reported by another CPI onto the known ten, keeping the original name. */
export function knownType(type: unknown, message: string): { type: BoshErrorType; message: string } {
  if (isBoshErrorType(type)) return { type, message };
  return { type: 'Bosh::Clouds::CloudError', message: `${String(type)}: ${message}` };
}
