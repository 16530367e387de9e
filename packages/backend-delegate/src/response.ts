import { CpiError, isBoshErrorType, knownType, type BoshErrorType, type ErrorCode } from '@hybrid-cpi/core';

export interface DelegateError {
  readonly type: string;
  readonly message: string;
  readonly ok_to_retry: boolean;
}

/** A response that keeps the director's rules (docs/architecture.md#the-protocol). */
export interface DelegateResponse {
  readonly result: unknown;
  readonly error: DelegateError | null;
  readonly log: string;
}

export type ParsedResponse = { readonly ok: true; readonly response: DelegateResponse } | { readonly ok: false; readonly problem: string };

/**
 * Reads stdout as the director would: one JSON document, `result`, `error` and `log` all present,
 * `log` a string, `error` null or `{type, message, ok_to_retry}`. Extra keys are ignored, as the
 * director ignores them.
 */
export function parseResponse(stdout: string): ParsedResponse {
  if (stdout.trim() === '') return { ok: false, problem: 'it wrote nothing to stdout' };
  let body: unknown;
  try {
    body = JSON.parse(stdout);
  } catch {
    // The text itself stays out of the message: it may hold anything, secrets included.
    return { ok: false, problem: `its stdout (${stdout.length} characters) is not one JSON document` };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, problem: `its stdout is JSON ${describe(body)}, not an object` };
  const record = body as Record<string, unknown>;
  const missing = ['result', 'error', 'log'].filter((key) => !Object.hasOwn(record, key));
  if (missing.length > 0) return { ok: false, problem: `its response lacks ${missing.map((k) => `'${k}'`).join(', ')}` };
  if (typeof record['log'] !== 'string') return { ok: false, problem: `its response's log is ${describe(record['log'])}, not a string` };
  const error = record['error'];
  if (error !== null) {
    if (typeof error !== 'object' || Array.isArray(error))
      return { ok: false, problem: `its response's error is ${describe(error)}, neither null nor an object` };
    const e = error as Record<string, unknown>;
    const wrong = [
      typeof e['type'] === 'string' ? undefined : `type is ${describe(e['type'])}`,
      typeof e['message'] === 'string' ? undefined : `message is ${describe(e['message'])}`,
      typeof e['ok_to_retry'] === 'boolean' ? undefined : `ok_to_retry is ${describe(e['ok_to_retry'])}`,
    ].filter((w) => w !== undefined);
    if (wrong.length > 0) return { ok: false, problem: `its response's error is malformed (${wrong.join(', ')})` };
  }
  return { ok: true, response: record as unknown as DelegateResponse };
}

const CODE_OF_TYPE: Readonly<Record<BoshErrorType, ErrorCode>> = {
  'Bosh::Clouds::CpiError': 'CPX_DELEGATE_CPI_ERROR',
  'Bosh::Clouds::NotImplemented': 'CPX_NOT_IMPLEMENTED',
  'Bosh::Clouds::NotSupported': 'CPX_NOT_SUPPORTED',
  'Bosh::Clouds::CloudError': 'CPX_BACKEND_FAILURE',
  'Bosh::Clouds::VMNotFound': 'CPX_VM_NOT_FOUND',
  'Bosh::Clouds::NetworkNotFound': 'CPX_NETWORK_NOT_FOUND',
  'Bosh::Clouds::NoDiskSpace': 'CPX_NO_DISK_SPACE',
  'Bosh::Clouds::DiskNotAttached': 'CPX_DISK_NOT_ATTACHED',
  'Bosh::Clouds::DiskNotFound': 'CPX_DISK_NOT_FOUND',
  'Bosh::Clouds::VMCreationFailed': 'CPX_VM_CREATION_FAILED',
};

/**
 * The delegate's error as the director would take it: a known type passes through with its
 * message and `ok_to_retry`; the two legacy spellings of "no such method" are NotImplemented (the
 * director maps them too); any other type is a CloudError whose message names it.
 */
export function delegateError(error: DelegateError): CpiError {
  const { type, message } = isLegacyNotImplemented(error)
    ? { type: 'Bosh::Clouds::NotImplemented' as const, message: error.message }
    : knownType(error.type, error.message);
  return new CpiError(CODE_OF_TYPE[type], message, { okToRetry: isBoshErrorType(error.type) && error.ok_to_retry });
}

function isLegacyNotImplemented({ type, message }: DelegateError): boolean {
  return (
    (type === 'InvalidCall' && message.startsWith('Method is not known, got')) || (type === 'Bosh::Clouds::CloudError' && message.startsWith('Invalid Method:'))
  );
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
