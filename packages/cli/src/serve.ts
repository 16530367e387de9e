import {
  BackendRegistry,
  BufferedLogger,
  type CpiError,
  dispatch,
  errorResponse,
  loadConfig,
  methodSpec,
  parseRequest,
  type BuiltinModules,
  type CpiRequest,
  type CpiResponse,
  type LogLevel,
  type Logger,
  type MethodName,
  type Secrets,
  type BackendSeams,
} from '@hybrid-cpi/core';

import { TOKENS, basics, resolve, type Resolver } from './tokens.js';

/** What a CPI call is served with: what the composition root (compose.ts) holds. */
export interface ServeDeps {
  readonly builtins: BuiltinModules;
  readonly secrets: Secrets;
  readonly loadLogger: (level: LogLevel) => Promise<Logger>;
  readonly signal: AbortSignal;
  /** Asked for when a backend is made, never by a call the core answers alone. */
  readonly seams: () => Promise<BackendSeams>;
}

/** What serve() resolves from `container`. */
export function serveDeps(container: Resolver): ServeDeps {
  return {
    builtins: resolve(container, TOKENS.builtins),
    secrets: resolve(container, TOKENS.secrets),
    loadLogger: resolve(container, TOKENS.loadLogger),
    signal: resolve(container, TOKENS.signal),
    seams: async () => resolve(container, TOKENS.seams),
  };
}

/**
 * A CPI call's deps, with the container composed only when the first backend is made: `info` and
 * `ping`, which the core answers from the config alone, never load tsyringe. Until then they are
 * the values the container is composed from.
 */
export function lazyServeDeps(signal: AbortSignal): ServeDeps {
  const from = basics(signal);
  let container: Promise<Resolver> | undefined;
  const seams = async () => {
    container ??= import('./compose.js').then(({ compose }) => compose(from));
    return resolve(await container, TOKENS.seams);
  };
  return { ...from, seams };
}

/** Calls the core answers by itself in a few milliseconds: they load pino only to write a line. */
const QUICK: ReadonlySet<MethodName> = new Set(['info', 'ping']);

/**
 * One CPI call: config, request, route, response. Secrets are learnt from the config and the
 * request before anything is logged. Never throws.
 */
export async function serve(configFile: string, input: string, deps: ServeDeps): Promise<CpiResponse> {
  let level: LogLevel = 'info';
  let root = new BufferedLogger(level);
  let logger: Logger = root;
  const attach = async () => {
    if (!root.attached) root.attach(await deps.loadLogger(level));
  };
  try {
    const config = await loadConfig(configFile, deps.builtins);
    deps.secrets.addKeyed(config.raw);
    level = config.logLevel;
    logger = root = new BufferedLogger(level);
    const request = await parseRequest(input);
    learnSecrets(request, deps.secrets);
    const requestId = request.context['request_id'];
    logger = root.child({ request_id: typeof requestId === 'string' ? requestId : undefined, method: request.method });
    logger.debug({ api_version: request.requestedApiVersion ?? null, cids: cidArguments(request) }, 'request');
    const registry = new BackendRegistry(config, logger, deps.seams);
    // Once the backend's first request (to Ironic, to the delegated CPI) is on its way.
    if (!QUICK.has(request.method)) setImmediate(() => void attach());
    try {
      return await dispatch(request, registry, logger, deps.signal);
    } finally {
      await registry.closeAll();
    }
  } catch (error) {
    logger.error({ code: (error as CpiError).code }, (error as Error).message);
    return errorResponse(error);
  } finally {
    if (root.size > 0) await attach();
  }
}

const CONTEXT_KEYS = new Set(['director_uuid', 'request_id', 'vm']);

function learnSecrets(request: CpiRequest, secrets: Secrets): void {
  secrets.addKeyed(request.args);
  methodSpec(request.method).args.forEach((a, i) => {
    if (a.secretValues) secrets.addEnv(request.args[i]);
  });
  // cpi-config properties travel in the context; the director redacts all of them.
  secrets.addAll(Object.fromEntries(Object.entries(request.context).filter(([k]) => !CONTEXT_KEYS.has(k))));
}

/** The CID arguments by name (safe to log, and what an operator greps for). */
function cidArguments(request: CpiRequest): Record<string, unknown> {
  return Object.fromEntries(methodSpec(request.method).args.flatMap((a, i) => (a.cid === undefined ? [] : [[a.name, request.args[i]]])));
}
