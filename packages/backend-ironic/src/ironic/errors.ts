import { CpiError } from '@hybrid-cpi/core';

const BRAND = Symbol.for('@hybrid-cpi/backend-ironic.IronicHttpError');

/** What the client knows about a non-2xx answer. */
export interface HttpErrorDetails {
  /** The service that answered: `Ironic`, or `Keystone` while getting a token. */
  readonly service: 'Ironic' | 'Keystone';
  /** A gerund phrase naming the operation: "Claiming node 6f… for agent a-1". */
  readonly doing: string;
  readonly status: number;
  readonly method: string;
  /** Path and query, without the host. */
  readonly path: string;
  /** The server's message, unwrapped from whichever body shape it came in. */
  readonly faultstring: string | undefined;
  readonly requestId: string | undefined;
  /** Scheme, host and port that answered, for messages about a server that is not the API. */
  readonly origin?: string;
  /** What the body was when it is not the API's ("an HTML page"): then there is no faultstring. */
  readonly foreign?: string | undefined;
}

/**
 * A non-2xx answer from Ironic (or Keystone), or any answer whose body is not the API's (an HTML
 * page: the URL names another server). A {@link CpiError} with `CPX_BACKEND_FAILURE`, so it
 * reaches the director as a CloudError when nobody maps it to something better.
 */
export class IronicHttpError extends CpiError {
  readonly service: 'Ironic' | 'Keystone';
  readonly status: number;
  readonly method: string;
  readonly path: string;
  readonly faultstring: string | undefined;
  readonly requestId: string | undefined;
  readonly foreign: string | undefined;

  constructor(details: HttpErrorDetails) {
    super('CPX_BACKEND_FAILURE', describe(details));
    this.name = 'IronicHttpError';
    this.service = details.service;
    this.status = details.status;
    this.method = details.method;
    this.path = details.path;
    this.faultstring = details.faultstring;
    this.requestId = details.requestId;
    this.foreign = details.foreign;
    Object.defineProperty(this, BRAND, { value: true });
  }

  // CpiError's hasInstance accepts every CpiError; a subclass must narrow it again.
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isIronicHttpError(value);
  }
}

function describe({ service, doing, status, faultstring, requestId, origin, foreign }: HttpErrorDetails): string {
  if (foreign !== undefined) {
    const endpoint = service === 'Keystone' ? 'the Keystone endpoint (auth_url)' : 'the Ironic API endpoint';
    return `${doing}: ${origin ?? service} answered ${status} with ${foreign}; is this ${endpoint}?${requestId === undefined ? '' : ` (request ${requestId})`}`;
  }
  const text = faultstring === undefined || faultstring === '' ? '(no error message)' : faultstring;
  let message = `${doing}: ${service} answered ${status}: ${/[.!?]$/.test(text) ? text : `${text}.`}`;
  if (status === 401 || status === 403) {
    message += ` Check the credentials configured for this backend (ironic.auth${service === 'Keystone' ? ', or the cloud in clouds.yaml' : ''}).`;
  }
  if (requestId !== undefined) message += ` (request ${requestId})`;
  return message;
}

/** Works across two copies of this package, like CpiError's brand. */
export function isIronicHttpError(value: unknown): value is IronicHttpError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

export function isNotFound(error: unknown): error is IronicHttpError {
  return isIronicHttpError(error) && error.status === 404;
}

export function isConflict(error: unknown): error is IronicHttpError {
  return isIronicHttpError(error) && error.status === 409;
}

/** 409 NodeLocked: another operation holds the conductor lock; the request had no effect. */
export function isLocked(error: unknown): error is IronicHttpError {
  return isConflict(error) && isLockedFault(error.faultstring);
}

/** 409 NodeAssociated: someone else's `instance_uuid` is on the node (a lost claim race). */
export function isAssociated(error: unknown): error is IronicHttpError {
  return isConflict(error) && /is associated with instance/i.test(error.faultstring ?? '');
}

/** "Node 6f… is locked by host ironic-lab, please retry after the current operation is completed." */
export function isLockedFault(faultstring: string | undefined): boolean {
  return /\bis locked\b/i.test(faultstring ?? '');
}

/**
 * "Node 6f… can not be updated while a state transition is in progress.": Ironic's API refuses a
 * PATCH while a provision state change (a deploy that has just started, a clean) is under way, and
 * changes nothing; the transition ends by itself.
 */
export function isInTransitionFault(faultstring: string | undefined): boolean {
  return /while a state transition is in progress/i.test(faultstring ?? '');
}

/**
 * What an answer's body says: the server's message (a faultstring), or, when the body is not one
 * the API sends (an HTML page, a JSON document without any of OpenStack's error fields), what it
 * is instead. A server that is not the API is named as such, never quoted.
 */
export function readErrorBody(text: string): { faultstring: string | undefined; foreign: string | undefined } {
  const trimmed = text.trimStart();
  if (/^<(!doctype html|html|head|body|\?xml)/i.test(trimmed) || /<html[\s>]/i.test(trimmed.slice(0, 2000)))
    return { faultstring: undefined, foreign: 'an HTML page' };
  const json = parseJson(text);
  const known =
    field(json, 'error_message') !== undefined ||
    [field(field(json, 'error'), 'message'), field(json, 'faultstring'), field(json, 'description')].some((v) => typeof v === 'string');
  if (json !== undefined && !known) return { faultstring: undefined, foreign: 'a JSON document that is not an OpenStack API answer' };
  return { faultstring: parseFaultstring(text), foreign: undefined };
}

/**
 * The server's message from an error body. Ironic nests a JSON document in a JSON string:
 * `{"error_message": "{\"faultcode\": …, \"faultstring\": …}"}`; microversion errors (406) nest
 * `{code, title, description}` instead; http_basic's 401 and Keystone use `{"error": {"message"}}`.
 */
export function parseFaultstring(text: string): string | undefined {
  const outer = parseJson(text);
  if (outer === undefined) return text.trim() === '' ? undefined : truncate(text.trim());
  const wrapped = field(outer, 'error_message');
  if (wrapped !== undefined) {
    const inner = typeof wrapped === 'string' ? (parseJson(wrapped) ?? wrapped) : wrapped;
    if (typeof inner === 'string') return inner;
    return stringField(inner, 'faultstring') ?? stringField(inner, 'description') ?? stringField(inner, 'title') ?? JSON.stringify(inner);
  }
  return stringField(field(outer, 'error'), 'message') ?? stringField(outer, 'faultstring') ?? stringField(outer, 'description') ?? truncate(text.trim());
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

function stringField(value: unknown, key: string): string | undefined {
  const v = field(value, key);
  return typeof v === 'string' ? v : undefined;
}

/** A proxy's HTML error page must not flood the task log. */
function truncate(text: string, max = 300): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
