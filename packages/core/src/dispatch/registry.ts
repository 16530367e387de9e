import type { Backend, CallContext, ResponseLog } from '../backend/backend.js';
import type { BackendName, CidScope } from '../cid/index.js';
import type { BackendDeps, BackendSeams } from '../backend/module.js';
import type { HybridConfig, ResolvedBackend } from '../config/types.js';
import { CpiError } from '../errors/index.js';
import type { Logger } from '../logging/logger.js';
import type { CpiRequest } from '../protocol/request.js';

/** The configured backends, each created on first use so a call pays only for the one it needs. */
export class BackendRegistry implements CidScope {
  readonly backends: ReadonlySet<string>;
  readonly legacyBackend: BackendName | undefined;
  readonly defaultBackend: BackendName;
  readonly #config: HybridConfig;
  readonly #logger: Logger;
  readonly #seams: () => Promise<BackendSeams>;
  readonly #instances = new Map<BackendName, Promise<Backend>>();

  /** `seams`: asked for when the first backend is made (a call the core answers alone makes none). */
  constructor(config: HybridConfig, logger: Logger, seams: () => Promise<BackendSeams> = async () => ({})) {
    this.#config = config;
    this.#logger = logger;
    this.#seams = seams;
    this.backends = new Set(config.backends.keys());
    this.legacyBackend = config.legacyBackend;
    this.defaultBackend = config.defaultBackend;
  }

  names(): BackendName[] {
    return [...this.#config.backends.keys()];
  }

  resolved(name: BackendName): ResolvedBackend {
    const backend = this.#config.backends.get(name);
    if (backend === undefined) throw new CpiError('CPX_INTERNAL', `No backend named '${name}'`);
    return backend;
  }

  stemcellFormats(name: BackendName): readonly string[] {
    const { module, config } = this.resolved(name);
    return module.stemcellFormats(config);
  }

  /** The backend named in `cloud_properties.backend`, else the default. */
  fromCloudProperties(props: Readonly<Record<string, unknown>>, what: string): BackendName {
    const named = props['backend'];
    if (named === undefined) return this.defaultBackend;
    if (typeof named !== 'string' || !this.backends.has(named)) {
      throw new CpiError(
        'CPX_BACKEND_UNKNOWN',
        `${what}: cloud_properties.backend is ${JSON.stringify(named)}, which is not a configured backend (${this.names().join(', ')})`,
      );
    }
    return named as BackendName;
  }

  get(name: BackendName): Promise<Backend> {
    let instance = this.#instances.get(name);
    if (instance === undefined) {
      const { module, config } = this.resolved(name);
      instance = (async () => module.create(config, await this.deps(name)))();
      this.#instances.set(name, instance);
    }
    return instance;
  }

  /** What backend `name` is made with; `logger` replaces the registry's (bound to the backend's name). */
  async deps(name: BackendName, logger: Logger = this.#logger.child({ backend: name })): Promise<BackendDeps> {
    return { name, logger, agent: this.#config.raw.agent, seams: await this.#seams() };
  }

  /** The context of one backend call; `own`: a call the core makes by itself, which forwards no director request. */
  context(name: BackendName, request: CpiRequest, signal: AbortSignal, responseLog: ResponseLog, own = false): CallContext {
    const ctx = request.context;
    const vm = ctx['vm'] as { stemcell?: { api_version?: unknown } } | undefined;
    const stemcellApi = vm?.stemcell?.api_version;
    const requestId = typeof ctx['request_id'] === 'string' ? ctx['request_id'] : undefined;
    return {
      method: request.method,
      apiVersion: request.apiVersion,
      requestedApiVersion: request.requestedApiVersion,
      requestId,
      directorUuid: typeof ctx['director_uuid'] === 'string' ? ctx['director_uuid'] : undefined,
      stemcellApiVersion: Number.isInteger(stemcellApi) ? (stemcellApi as number) : undefined,
      context: ctx,
      directorRequest: own ? undefined : request.text,
      logger: this.#logger.child({ backend: name }),
      responseLog,
      signal,
    };
  }

  async closeAll(): Promise<void> {
    const instances = await Promise.allSettled(this.#instances.values());
    await Promise.allSettled(instances.map((r) => (r.status === 'fulfilled' ? r.value.close?.() : undefined)));
  }
}
