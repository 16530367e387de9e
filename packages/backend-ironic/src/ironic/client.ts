import { Agent, type Dispatcher } from 'undici';
import { CpiError, type Logger } from '@hybrid-cpi/core';
import { basicAuthorization, baremetalEndpoint, describeIdentity, keystoneTokenBody, tokensUrl, type IronicAuth, type KeystoneAuth } from './auth.js';
import { callOptions, type CallOptions } from './call-options.js';
import { backoffDelay, realClock, realSleep, type BackoffPolicy, type Clock, type Sleep } from './backoff.js';
import { IronicConnectionError, IronicHttpError, isInTransitionFault, isLockedFault, parseFaultstring, readErrorBody } from './errors.js';
import { DEFAULT, MINIMUM, compareVersions, isMicroversion, maxVersion, type Microversion, type VersionRange } from './microversions.js';

/** How often and how patiently a request is repeated after a transient failure. */
export interface RetryPolicy extends BackoffPolicy {
  /** Attempts in all, the first included. */
  readonly attempts: number;
}

/** About 15 s of waiting at most: longer than Ironic's own 3 × 1 s lock wait inside a PATCH. */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseMs: 500, maxMs: 8000 };

export interface IronicClientOptions {
  /** The Ironic endpoint (`http://host:6385`, or with a path prefix). Optional with Keystone: then the catalog's `baremetal` endpoint. */
  readonly url?: string;
  readonly auth: IronicAuth;
  /**
   * undici dispatcher: an Agent with TLS settings (connectIronic makes it), a MockAgent in tests.
   * Default: a plain Agent, closed by {@link IronicClient.close}.
   */
  readonly dispatcher?: Dispatcher;
  /** Whether {@link IronicClient.close} closes the dispatcher. Default: only when the client made it. */
  readonly ownsDispatcher?: boolean;
  readonly logger: Logger;
  /** The microversion of calls that need no newer one; at least {@link MINIMUM}. Default {@link DEFAULT}. */
  readonly microversion?: Microversion;
  readonly retry?: Partial<RetryPolicy>;
  readonly sleep?: Sleep;
  /** [0, 1), for the back-off jitter. */
  readonly random?: () => number;
  readonly clock?: Clock;
  /**
   * Sent as `X-OpenStack-Request-ID` on every Ironic request: Ironic's oslo middleware takes it as
   * the global request id (only in the form `req-<uuid>`) and logs it beside its own id.
   */
  readonly globalRequestId?: string;
  /**
   * Until when (a {@link Clock} time) a `503` is back-pressure to wait out, with jitter, however
   * many attempts that takes: the budget of the CPI call. Without it, a 503 is retried as any
   * transient failure.
   */
  readonly until?: number;
}

/** What a client and its per-call views ({@link IronicClient.forCall}) share. */
interface Shared {
  session?: Promise<Session>;
  /** The newest microversion the server offers, from any versioned answer's header. */
  maximum?: Microversion;
}

export type QueryValue = string | number | boolean | readonly string[] | undefined;

export interface RequestOptions {
  readonly query?: Readonly<Record<string, QueryValue>>;
  /** Sent as JSON. */
  readonly body?: unknown;
  /** The header for this call; default the client's. */
  readonly microversion?: Microversion;
  /** A claim (PATCH instance_uuid): any 409 means another process won, so it is never retried. */
  readonly claim?: boolean;
  /**
   * Whether repeating the request is harmless when a connection broke after it may have reached
   * the server. Default: true for GET and HEAD only.
   */
  readonly idempotent?: boolean;
  /** A gerund phrase for error messages: "Claiming node 6f… for agent a-1". */
  readonly doing?: string;
  readonly signal?: AbortSignal;
  /** false for public routes (`GET /`): no credentials, no Keystone round trip. */
  readonly auth?: boolean;
  /** This request's {@link IronicClientOptions.until}, when sooner than the client's. */
  readonly until?: number;
}

/** Where a token comes from, and for whom (`user 'bosh' in project 'baremetal'`): no secret. */
export interface KeystoneIdentity {
  /** `<auth_url>/v3/auth/tokens`. */
  readonly tokensUrl: string;
  readonly identity: string;
}

/** What Keystone answered, for `hybrid-cpi doctor`. */
export interface KeystoneSession extends KeystoneIdentity {
  /** The catalog's baremetal endpoint, when ironic.url is not set. */
  readonly endpoint: string | undefined;
  readonly interface: string;
  readonly region: string | undefined;
  /** The token's `expires_at`. */
  readonly expiresAt: string | undefined;
}

interface Session {
  readonly token: string;
  readonly endpoint: string | undefined;
  readonly expiresAt: string | undefined;
}

export interface IronicResponse<T> {
  readonly status: number;
  /** Parsed JSON; undefined for an empty body (202, 204). */
  readonly body: T;
  readonly requestId: string | undefined;
}

interface Exchange {
  readonly service: 'Ironic' | 'Keystone';
  readonly origin: string;
  readonly path: string;
  readonly method: Dispatcher.HttpMethod;
  readonly headers: Record<string, string>;
  readonly body?: string;
  readonly idempotent: boolean;
  readonly claim: boolean;
  readonly doing: string;
  readonly signal?: AbortSignal;
  readonly until?: number;
}

interface Answer {
  readonly status: number;
  readonly text: string;
  readonly headers: Dispatcher.ResponseData['headers'];
  readonly requestId: string | undefined;
}

/**
 * The connection failed before any byte of the request left: repeating any method is safe.
 * (A DNS answer of "no such host" is not transient, so ENOTFOUND is not here.)
 */
const NOT_SENT = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
/**
 * The connection broke while the request may already have been processed: a POST that created a
 * node or an allocation, or a PUT that started a deploy, would be done twice (or answer 400/409
 * the second time), so only idempotent requests are repeated.
 */
const MAYBE_SENT = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/**
 * A small Ironic REST client: auth, the microversion header, retries of transient failures,
 * error bodies, pagination and request-id logging. The resource modules (`nodes.ts`, …) are
 * plain functions on top of {@link IronicClient.request}.
 */
export class IronicClient {
  /** The microversion sent when a call asks for nothing newer. */
  readonly microversion: Microversion;
  readonly #url: string | undefined;
  readonly #auth: IronicAuth;
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;
  readonly #log: Logger;
  readonly #retry: RetryPolicy;
  readonly #sleep: Sleep;
  readonly #random: () => number;
  readonly #clock: Clock;
  readonly #options: IronicClientOptions;
  readonly #shared: Shared;

  constructor(options: IronicClientOptions, shared: Shared = {}) {
    if (options.url === undefined && options.auth.type !== 'keystone') {
      throw new CpiError('CPX_CONFIG', `Configuring the Ironic client: ironic.url is required with auth type ${options.auth.type}`);
    }
    if (options.microversion !== undefined && compareVersions(options.microversion, MINIMUM) < 0) {
      throw new CpiError('CPX_CONFIG', `Configuring the Ironic client: microversion ${options.microversion} is older than the minimum ${MINIMUM}`);
    }
    this.#url = options.url?.replace(/\/+$/, '');
    this.#auth = options.auth;
    this.#dispatcher = options.dispatcher ?? new Agent();
    this.#ownsDispatcher = options.ownsDispatcher ?? options.dispatcher === undefined;
    this.#log = options.logger;
    this.microversion = options.microversion ?? DEFAULT;
    this.#retry = { ...DEFAULT_RETRY, ...options.retry };
    this.#sleep = options.sleep ?? realSleep;
    this.#random = options.random ?? Math.random;
    this.#clock = options.clock ?? realClock;
    this.#options = options;
    this.#shared = shared;
  }

  /**
   * The same client (connection, token, learnt server version) for one CPI call: its requests
   * carry that call's global request id and its log lines go to that call's logger. Closing a
   * view closes nothing.
   */
  forCall(scope: { readonly globalRequestId?: string; readonly logger: Logger; readonly until?: number }): IronicClient {
    return new IronicClient({ ...this.#options, ...scope, dispatcher: this.#dispatcher, ownsDispatcher: false }, this.#shared);
  }

  /**
   * The newest microversion the server offers: learnt from the header every versioned answer
   * carries, so it costs nothing once any request was made; else read from `GET /`.
   */
  async maximum(options: CallOptions = {}): Promise<Microversion> {
    this.#shared.maximum ??= (await discoverVersions(this, options)).max;
    return this.#shared.maximum;
  }

  /** Whether the server offers `version` (a feature's microversion). */
  async supports(version: Microversion, options: CallOptions = {}): Promise<boolean> {
    return compareVersions(await this.maximum(options), version) >= 0;
  }

  /** The client's microversion, or `needed` when that is newer. */
  at(needed: Microversion): Microversion {
    return maxVersion(this.microversion, needed);
  }

  /** The Ironic base URL: the configured one, else the catalog's (which needs a token). */
  async endpoint(signal?: AbortSignal): Promise<string> {
    if (this.#url !== undefined) return this.#url;
    const { endpoint } = await this.#keystone(signal);
    return (endpoint ?? '').replace(/\/+$/, '');
  }

  /** Who asks which Keystone for tokens; undefined without Keystone. */
  keystoneIdentity(): KeystoneIdentity | undefined {
    if (this.#auth.type !== 'keystone') return undefined;
    const url = tokensUrl(this.#auth.auth_url);
    return { tokensUrl: `${url.origin}${url.pathname}`, identity: describeIdentity(this.#auth) };
  }

  /** The Keystone session (getting a token when there is none yet); undefined without Keystone. */
  async keystone(signal?: AbortSignal): Promise<KeystoneSession | undefined> {
    const who = this.keystoneIdentity();
    if (who === undefined || this.#auth.type !== 'keystone') return undefined;
    const { endpoint, expiresAt } = await this.#keystone(signal);
    return {
      ...who,
      endpoint,
      interface: this.#auth.interface ?? 'public',
      region: this.#auth.region_name,
      expiresAt,
    };
  }

  /** Sends one API call, retrying transient failures; throws {@link IronicHttpError} for any non-2xx answer. */
  async request<T = unknown>(method: Dispatcher.HttpMethod, path: string, options: RequestOptions = {}): Promise<IronicResponse<T>> {
    const doing = options.doing ?? `${method} ${path}`;
    const base = new URL(await this.endpoint(options.signal));
    const fullPath = `${base.pathname.replace(/\/+$/, '')}${withQuery(path, options.query)}`;
    const headers: Record<string, string> = {
      accept: 'application/json',
      'x-openstack-ironic-api-version': options.microversion ?? this.microversion,
      ...(this.#options.globalRequestId === undefined ? {} : { 'x-openstack-request-id': this.#options.globalRequestId }),
    };
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    if (body !== undefined) headers['content-type'] = 'application/json';
    const exchange = {
      service: 'Ironic' as const,
      origin: base.origin,
      path: fullPath,
      method,
      headers,
      ...(body === undefined ? {} : { body }),
      idempotent: options.idempotent ?? (method === 'GET' || method === 'HEAD'),
      claim: options.claim ?? false,
      doing,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...untilOf(options.until, this.#options.until),
    };
    let answer = await this.#exchange({ ...exchange, headers: { ...headers, ...(await this.#credentials(options)) } });
    if (answer.status === 401 && this.#auth.type === 'keystone' && options.auth !== false) {
      // The token expired during a long wait: get a new one, once.
      delete this.#shared.session;
      answer = await this.#exchange({ ...exchange, headers: { ...headers, ...(await this.#credentials(options)) } });
    }
    return parse<T>(answer, exchange);
  }

  /**
   * The pages of a collection (`{"<key>": [...], "next": url|null}`). Ironic caps pages at
   * `[api]max_limit` (1000) whatever `limit` says, so callers must follow `next`. Only its
   * `marker` is taken: Ironic 21 drops most filters from `next` (`provision_state`,
   * `resource_class`, `conductor_group`, false booleans), so following it verbatim would list
   * every node after the first page. A full page always carries a `next`, so the last page may
   * be empty; stop iterating once you have what you need.
   */
  async *pages<T>(path: string, key: string, options: RequestOptions = {}): AsyncGenerator<T[], void, undefined> {
    let page = await this.request<Record<string, unknown>>('GET', path, options);
    for (;;) {
      const items = page.body?.[key];
      if (!Array.isArray(items)) {
        throw new CpiError('CPX_BACKEND_FAILURE', `${options.doing ?? `Listing ${path}`}: Ironic answered without a "${key}" list`);
      }
      yield items as T[];
      const next = page.body['next'];
      if (typeof next !== 'string' || next === '') return;
      const marker = new URL(next, 'http://unused.invalid').searchParams.get('marker');
      if (marker === null)
        throw new CpiError('CPX_BACKEND_FAILURE', `${options.doing ?? `Listing ${path}`}: Ironic's next link has no marker: ${relativeNext(next)}`);
      page = await this.request<Record<string, unknown>>('GET', path, { ...options, query: { ...options.query, marker } });
    }
  }

  /** Closes the dispatcher when the client owns it (keep-alive sockets would hold the process open). */
  async close(): Promise<void> {
    if (this.#ownsDispatcher) await this.#dispatcher.close();
  }

  async #credentials(options: RequestOptions): Promise<Record<string, string>> {
    if (options.auth === false) return {};
    switch (this.#auth.type) {
      case 'noauth':
        return {};
      case 'http_basic':
        return { authorization: basicAuthorization(this.#auth) };
      case 'keystone':
        return { 'x-auth-token': (await this.#keystone(options.signal)).token };
    }
  }

  /** One token per client, fetched on first use; a failed attempt is not cached. */
  #keystone(signal?: AbortSignal): Promise<Session> {
    const shared = this.#shared;
    if (shared.session === undefined) {
      const session = this.#authenticate(this.#auth as KeystoneAuth, signal);
      session.catch(() => {
        if (shared.session === session) delete shared.session;
      });
      shared.session = session;
    }
    return shared.session;
  }

  async #authenticate(auth: KeystoneAuth, signal?: AbortSignal): Promise<Session> {
    const url = tokensUrl(auth.auth_url);
    const who = this.keystoneIdentity()!;
    const exchange: Exchange = {
      service: 'Keystone',
      origin: url.origin,
      path: url.pathname,
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify(keystoneTokenBody(auth)),
      // A second token is harmless, so a broken connection may be retried.
      idempotent: true,
      claim: false,
      doing: `Getting a Keystone token from ${who.tokensUrl} for ${who.identity}`,
      ...(signal === undefined ? {} : { signal }),
    };
    const answer = await this.#exchange(exchange);
    const { body } = parse<{ token?: { catalog?: unknown; expires_at?: unknown } }>(answer, exchange);
    const token = answer.headers['x-subject-token'];
    if (typeof token !== 'string' || token === '') {
      throw new CpiError('CPX_BACKEND_FAILURE', `${exchange.doing}: Keystone answered ${answer.status} without an X-Subject-Token header`);
    }
    const expiresAt = body?.token?.expires_at;
    return {
      token,
      endpoint: this.#url === undefined ? baremetalEndpoint(body?.token?.catalog, auth) : undefined,
      expiresAt: typeof expiresAt === 'string' ? expiresAt : undefined,
    };
  }

  /** Sends, retrying 503, a 409 of a busy node (unless a claim) and connection failures, with jittered back-off. */
  async #exchange(exchange: Exchange): Promise<Answer> {
    const { method, path, service } = exchange;
    const event = `${service.toLowerCase()} request`;
    for (let attempt = 1; ; attempt++) {
      const started = this.#clock();
      let response: Dispatcher.ResponseData;
      try {
        response = await this.#dispatcher.request({
          origin: exchange.origin,
          path,
          method,
          headers: exchange.headers,
          ...(exchange.body === undefined ? {} : { body: exchange.body }),
          ...(exchange.signal === undefined ? {} : { signal: exchange.signal }),
        });
      } catch (error) {
        const code = errorCode(error);
        const ms = Math.round(this.#clock() - started);
        this.#log.debug({ service, method, path, error: code ?? String(error), ms, attempt }, event);
        if (exchange.signal?.aborted) throw error;
        const retriable = code !== undefined && (NOT_SENT.has(code) || (MAYBE_SENT.has(code) && exchange.idempotent));
        if (retriable && attempt < this.#retry.attempts) {
          await this.#pause(attempt, undefined, code, exchange);
          continue;
        }
        const maybeProcessed = code !== undefined && MAYBE_SENT.has(code);
        const why = maybeProcessed && !exchange.idempotent ? '; not repeated, as the server may have acted on it' : '';
        throw new IronicConnectionError(
          `${exchange.doing}: cannot reach ${service} at ${exchange.origin} after ${attempt} attempt${attempt === 1 ? '' : 's'}: ` +
            `${(error as Error).message}${code !== undefined && !(error as Error).message.includes(code) ? ` (${code})` : ''}${why}`,
          { cause: error, maybeProcessed },
        );
      }
      const text = await response.body.text();
      const requestId = header(response.headers, 'openstack-request-id') ?? header(response.headers, 'x-openstack-request-id');
      const maximum = header(response.headers, 'x-openstack-ironic-api-maximum-version');
      if (service === 'Ironic' && isMicroversion(maximum)) this.#shared.maximum = maximum;
      this.#log.debug({ service, method, path, status: response.statusCode, ms: Math.round(this.#clock() - started), requestId, attempt }, event);
      const answer = { status: response.statusCode, text, headers: response.headers, requestId };
      const reason =
        response.statusCode === 503 ? 'unavailable' : response.statusCode === 409 && !exchange.claim ? busyReason(parseFaultstring(text)) : undefined;
      // Ironic's 503 (ConcurrentActionLimit, no free conductor worker) is back-pressure: waited
      // out for as long as the call's budget lasts.
      const patient = reason === 'unavailable' && exchange.until !== undefined && this.#clock() < exchange.until;
      if (reason === undefined || (attempt >= this.#retry.attempts && !patient)) return answer;
      if (attempt >= this.#retry.attempts)
        this.#log.info(
          { service, method, path, attempt, faultstring: parseFaultstring(text) },
          'Ironic is busy (503): waiting to repeat the request within the time budget of the call',
        );
      await this.#pause(attempt, reason === 'unavailable' ? retryAfterMs(response.headers) : undefined, reason, exchange);
    }
  }

  async #pause(attempt: number, serverMs: number | undefined, reason: string, { service, method, path, signal, until }: Exchange): Promise<void> {
    const wanted = serverMs === undefined ? backoffDelay(attempt, this.#retry, this.#random) : Math.min(serverMs, this.#retry.maxMs);
    const delayMs = until === undefined ? wanted : Math.max(0, Math.min(wanted, until - this.#clock()));
    this.#log.debug({ service, method, path, reason, attempt, delayMs }, `${service.toLowerCase()} request will be repeated`);
    await this.#sleep(delayMs, signal);
  }
}

/** The sooner of a request's and its client's deadlines, as an optional member. */
function untilOf(request: number | undefined, client: number | undefined): { until?: number } {
  const until = Math.min(request ?? Infinity, client ?? Infinity);
  return until === Infinity ? {} : { until };
}

/** Why a 409 is worth repeating: the node was busy and the request changed nothing. */
function busyReason(faultstring: string | undefined): string | undefined {
  if (isLockedFault(faultstring)) return 'locked';
  return isInTransitionFault(faultstring) ? 'in transition' : undefined;
}

interface RootDocument {
  default_version?: { min_version?: unknown; version?: unknown };
}

/**
 * Reads the supported range from `GET /` (public even with http_basic or Keystone). One extra
 * round trip: call it when a check is worth it (start-up checks, errors), not on every CPI call.
 */
export async function discoverVersions(client: IronicClient, options: CallOptions = {}): Promise<VersionRange> {
  const { body } = await client.request<RootDocument>('GET', '/', { auth: false, ...callOptions(options, 'Reading the API versions of Ironic') });
  const min = body?.default_version?.min_version;
  const max = body?.default_version?.version;
  if (!isMicroversion(min) || !isMicroversion(max)) {
    throw new CpiError(
      'CPX_BACKEND_FAILURE',
      `Reading the API versions of Ironic at ${await client.endpoint()}: GET / has no default_version.{min_version,version}`,
    );
  }
  return { min, max };
}

function parse<T>(answer: Answer, exchange: Exchange): IronicResponse<T> {
  const failed = (body: { faultstring: string | undefined; foreign: string | undefined }) =>
    new IronicHttpError({
      service: exchange.service,
      doing: exchange.doing,
      status: answer.status,
      method: exchange.method,
      path: exchange.path,
      origin: exchange.origin,
      ...body,
      requestId: answer.requestId,
    });
  if (answer.status < 200 || answer.status >= 300) throw failed(readErrorBody(answer.text));
  let body: unknown;
  try {
    body = answer.text === '' ? undefined : JSON.parse(answer.text);
  } catch {
    // A success that is not JSON comes from another server (a web server's page at that URL).
    throw failed({ faultstring: undefined, foreign: readErrorBody(answer.text).foreign ?? 'a body that is not JSON' });
  }
  return { status: answer.status, body: body as T, requestId: answer.requestId };
}

function withQuery(path: string, query: RequestOptions['query']): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined) continue;
    params.set(key, Array.isArray(value) ? value.join(',') : String(value));
  }
  const search = params.toString();
  return search === '' ? path : `${path}${path.includes('?') ? '&' : '?'}${search}`;
}

/** `http://proxy/baremetal/v1/nodes?marker=…` → `/v1/nodes?marker=…` (joined to our own base URL). */
export function relativeNext(next: string): string {
  const url = new URL(next, 'http://unused.invalid');
  const at = url.pathname.indexOf('/v1/');
  return `${at === -1 ? url.pathname : url.pathname.slice(at)}${url.search}`;
}

function header(headers: Dispatcher.ResponseData['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** `Retry-After: <seconds>` (the HTTP-date form is not worth the code for a 503 from Ironic). */
function retryAfterMs(headers: Dispatcher.ResponseData['headers']): number | undefined {
  const value = header(headers, 'retry-after');
  return value !== undefined && /^\d+$/.test(value.trim()) ? Number(value) * 1000 : undefined;
}

function errorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; typeof e === 'object' && e !== null && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}
