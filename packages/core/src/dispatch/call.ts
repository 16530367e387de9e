import type { Backend, CallContext } from '../backend/backend.js';
import type { BackendName } from '../cid/index.js';
import { CpiError, isCpiError } from '../errors/index.js';
import type { Logger } from '../logging/logger.js';
import { camelCase } from '../protocol/backend-call.js';
import { methodSpec, type MethodName } from '../protocol/methods.js';
import type { CpiRequest } from '../protocol/request.js';
import type { BackendRegistry } from './registry.js';
import { ResponseLogText } from './response-log.js';

/** One request on its way through the router. */
export class Call {
  /** The backends this call reached, for the response's `log`. */
  readonly reached: BackendName[] = [];
  /** What the backends add to the response's `log`. */
  readonly log = new ResponseLogText();

  constructor(
    readonly request: CpiRequest,
    readonly registry: BackendRegistry,
    readonly logger: Logger,
    readonly signal: AbortSignal,
  ) {}

  /**
   * Runs `method` of a backend with these parameters. `own`: a call the core makes by itself (a
   * rollback), which has no director request to forward. CpiErrors pass through as the backend
   * raised them; anything else is a backend bug, reported with what was being done.
   */
  async on(name: BackendName, method: MethodName, params: readonly unknown[], own = false): Promise<unknown> {
    if (!this.reached.includes(name)) this.reached.push(name);
    const ctx: CallContext = this.registry.context(name, this.request, this.signal, this.log, own);
    ctx.logger.debug('calling backend');
    try {
      const backend = await this.registry.get(name);
      return await this.#method(backend, name, method)(ctx, ...params);
    } catch (error) {
      if (isCpiError(error)) throw error;
      throw new CpiError('CPX_BACKEND_FAILURE', `${this.request.method} in backend '${name}' failed: ${(error as Error)?.message ?? String(error)}`, {
        cause: error,
      });
    }
  }

  /** The backend's method, or the error the table says the director gets when it has none. */
  #method(backend: Backend, name: BackendName, method: MethodName): (ctx: CallContext, ...params: readonly unknown[]) => Promise<unknown> {
    const fn = (backend as unknown as Readonly<Record<string, unknown>>)[camelCase(method)];
    if (typeof fn === 'function') return fn.bind(backend);
    const { absent } = methodSpec(method);
    const described = `Backend '${name}' (type ${this.registry.resolved(name).config.type}) does not implement ${method}`;
    if (absent === 'required') throw new CpiError('CPX_BACKEND_FAILURE', `${described}, which every backend must`);
    throw new CpiError(absent === 'NotSupported' ? 'CPX_NOT_SUPPORTED' : 'CPX_NOT_IMPLEMENTED', described);
  }
}
