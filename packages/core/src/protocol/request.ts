import { CpiError } from '../errors/index.js';
import type { ConfigValidationError } from '../backend/module.js';
import type { ApiVersion } from './method-spec.js';
import { MAX_API_VERSION, METHODS, isMethodName, type MethodName } from './methods.js';
import { argumentsValidator, envelopeValidator } from './validators.js';

/** A request that passed every check the protocol allows before routing. */
export interface CpiRequest {
  readonly method: MethodName;
  readonly args: readonly unknown[];
  readonly context: Readonly<Record<string, unknown>>;
  readonly apiVersion: ApiVersion;
  readonly requestedApiVersion: number | undefined;
  /** The request as read from stdin, for a backend that forwards it. */
  readonly text: string;
}

/**
 * The text stays off the object's own properties: a log line or a serialisation of the request
 * never carries the whole request (up to 16 MiB, secrets included) by accident.
 */
class ParsedRequest implements CpiRequest {
  readonly #text: string;

  constructor(
    readonly method: MethodName,
    readonly args: readonly unknown[],
    readonly context: Readonly<Record<string, unknown>>,
    readonly apiVersion: ApiVersion,
    readonly requestedApiVersion: number | undefined,
    text: string,
  ) {
    this.#text = text;
  }

  get text(): string {
    return this.#text;
  }
}

/** Parses and validates one request read from stdin (docs/architecture.md#the-protocol). */
export async function parseRequest(text: string): Promise<CpiRequest> {
  if (text.trim() === '') throw new CpiError('CPX_REQUEST_EMPTY', 'Reading the request: stdin was empty; the CPI expects one JSON request');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    // Node's message quotes the input around the fault, and the input may hold secrets.
    const truncated = /end of (JSON )?input|Unterminated/i.test((error as Error).message);
    throw new CpiError('CPX_REQUEST_JSON', `Parsing the request: stdin (${text.length} characters) is not valid JSON${truncated ? ': it ends early' : ''}`);
  }
  const envelope = await envelopeValidator();
  if (!envelope(body)) throw new CpiError('CPX_REQUEST_SHAPE', `Reading the request: ${describeEnvelope(envelope.errors ?? [], body)}`);

  const {
    method,
    arguments: args = [],
    context = {},
    api_version: requested,
  } = body as {
    method: string;
    arguments?: unknown[];
    context?: Record<string, unknown>;
    api_version?: number;
  };
  if (!isMethodName(method)) {
    throw new CpiError('CPX_METHOD_UNKNOWN', `Method is not known, got '${method}'`);
  }
  const apiVersion = requested ?? 1;
  const versions: readonly number[] = METHODS[method].versions;
  if (apiVersion < 1 || apiVersion > MAX_API_VERSION || !versions.includes(apiVersion)) {
    throw new CpiError(
      'CPX_API_VERSION',
      `Calling ${method} with api_version ${apiVersion}: this CPI supports ${method} in api_version ${versions.join(', ')}`,
    );
  }
  const validate = await argumentsValidator(method, apiVersion as ApiVersion);
  if (validate === undefined || !validate(args)) {
    throw new CpiError('CPX_ARGUMENTS', `Calling ${method}: ${describeArguments(method, validate?.errors ?? [], args)}`);
  }
  return new ParsedRequest(method, args, context, apiVersion as ApiVersion, requested, text);
}

function describeEnvelope(errors: readonly ConfigValidationError[], body: unknown): string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return `the request must be a JSON object with 'method' and 'arguments', got ${Array.isArray(body) ? 'an array' : body === null ? 'null' : typeof body}`;
  }
  return errors
    .map((e) => {
      const field = e.keyword === 'required' ? String(e.params['missingProperty']) : e.instancePath.slice(1);
      if (e.keyword === 'required') return `'${field}' is missing`;
      return `'${field}' ${e.message ?? 'is invalid'}`;
    })
    .join('; ');
}

/** Names the argument by position and name, e.g. "argument 2 (stemcell_cid) must be string". */
function describeArguments(method: MethodName, errors: readonly ConfigValidationError[], args: readonly unknown[]): string {
  const names = METHODS[method].args.map((a) => a.name);
  const count = errors.find((e) => ['minItems', 'maxItems', 'additionalItems'].includes(e.keyword) && e.instancePath === '');
  if (count !== undefined || errors.length === 0) {
    const expected = names.length === 0 ? 'no arguments' : `${names.join(', ')}`;
    return `expected ${expected}, got ${args.length} argument${args.length === 1 ? '' : 's'}`;
  }
  const seen = new Set<string>();
  for (const e of errors) {
    const [index, ...rest] = e.instancePath.split('/').slice(1);
    const i = Number(index);
    const name = Number.isInteger(i) ? `argument ${i + 1} (${names[i] ?? '?'}${rest.length > 0 ? `.${rest.join('.')}` : ''})` : 'arguments';
    const what =
      e.keyword === 'required' ? `needs '${String(e.params['missingProperty'])}'` : e.keyword === 'anyOf' ? 'has the wrong type' : (e.message ?? 'is invalid');
    seen.add(`${name} ${what}`);
  }
  return [...seen].join('; ');
}
