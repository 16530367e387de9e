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
} from '@hybrid-cpi/core';

export interface ServeDeps {
  readonly builtins: BuiltinModules;
  readonly secrets: Secrets;
  readonly loadLogger: (level: LogLevel) => Promise<Logger>;
  readonly signal: AbortSignal;
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
    const registry = new BackendRegistry(config, logger);
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
