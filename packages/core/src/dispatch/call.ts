import type { Backend, CallContext } from '../backend/backend.js';
import { decodeCid, encodeCid, type BackendName, type DecodedCid, type NativeCid, type ProxyCid } from '../cid/index.js';
import { CpiError, isCpiError } from '../errors/index.js';
import type { Logger } from '../logging/logger.js';
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

  arg<T>(index: number): T {
    return this.request.args[index] as T;
  }

  /** Decodes the CID argument at `index`. */
  cid(index: number, what: string): DecodedCid {
    return decodeCid(this.arg<string>(index), this.registry, what);
  }

  /**
   * Runs `fn` on a backend. CpiErrors pass through as the backend raised them; anything else is
   * a backend bug, reported with what was being done.
   */
  async on<T>(name: BackendName, fn: (backend: Backend, ctx: CallContext) => Promise<T>): Promise<T> {
    if (!this.reached.includes(name)) this.reached.push(name);
    const ctx = this.registry.context(name, this.request, this.signal, this.log);
    ctx.logger.debug('calling backend');
    try {
      return await fn(await this.registry.get(name), ctx);
    } catch (error) {
      if (isCpiError(error)) throw error;
      throw new CpiError('CPX_BACKEND_FAILURE', `${this.request.method} in backend '${name}' failed: ${(error as Error)?.message ?? String(error)}`, {
        cause: error,
      });
    }
  }

  /**
   * Prefixes a CID a backend just created. Should the result be too long for the director, the
   * resource is removed again rather than leaked.
   */
  async wrapCreated(name: BackendName, native: NativeCid, rollback: () => Promise<void>): Promise<ProxyCid> {
    try {
      return encodeCid(name, native);
    } catch (error) {
      await rollback().catch((cause: unknown) => this.logger.error({ backend: name, cid: native, err: String(cause) }, 'rolling back an over-long CID failed'));
      throw error;
    }
  }

  /** An optional backend method, or the error the director knows to tolerate. */
  optional<K extends OptionalMethod>(backend: Backend, name: BackendName, method: K): NonNullable<Backend[K]> {
    const fn = backend[method];
    if (typeof fn !== 'function') {
      const code = method === 'resizeDisk' || method === 'updateDisk' ? 'CPX_NOT_SUPPORTED' : 'CPX_NOT_IMPLEMENTED';
      throw new CpiError(code, `Backend '${name}' (type ${this.registry.resolved(name).config.type}) does not implement ${this.request.method}`);
    }
    return fn.bind(backend) as NonNullable<Backend[K]>;
  }
}

export type OptionalMethod =
  | 'setVmMetadata'
  | 'getDisks'
  | 'setDiskMetadata'
  | 'resizeDisk'
  | 'updateDisk'
  | 'snapshotDisk'
  | 'deleteSnapshot'
  | 'calculateVmCloudProperties'
  | 'createNetwork'
  | 'deleteNetwork'
  | 'currentVmId';
