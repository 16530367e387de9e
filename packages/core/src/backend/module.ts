import type { BackendName } from '../cid/index.js';
import type { AgentConfig } from '../config/types.js';
import type { Logger } from '../logging/logger.js';
import type { Backend } from './backend.js';

/** Bumped when the {@link Backend} contract changes incompatibly. */
export const BACKEND_CONTRACT = 1;

/** The config section of one backend instance (`backends.<name>`). */
export interface BackendConfig {
  readonly type: string;
  readonly [key: string]: unknown;
}

/** An ajv validate function, precompiled or compiled at load time. */
export interface ConfigValidator {
  (value: unknown): boolean;
  errors?: readonly ConfigValidationError[] | null | undefined;
}

export interface ConfigValidationError {
  readonly instancePath: string;
  readonly keyword: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly message?: string | undefined;
  /** Set by ajv on errors about a property name (`propertyNames`). */
  readonly propertyName?: string | undefined;
  /** Where in the schema the failing keyword is (`#/properties/ironic/additionalProperties`). */
  readonly schemaPath?: string | undefined;
}

/** What a backend gets from the core besides its config. */
export interface BackendDeps {
  readonly name: BackendName;
  readonly logger: Logger;
  /** The top-level `agent` section: settings every bare-metal agent needs. */
  readonly agent: AgentConfig | undefined;
  /**
   * What tests replace, from the composition root: the HTTP dispatcher (an undici Dispatcher), a
   * monotonic clock in ms, a sleep, the process spawner. A backend uses the real ones where unset.
   */
  readonly seams?: {
    readonly httpDispatcher?: unknown;
    readonly clock?: () => number;
    readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
    readonly spawn?: unknown;
  };
}

/**
 * What a backend package default-exports. Only the modules of configured backends load, and
 * `info` needs no more than the descriptor: keep `create`'s heavy imports lazy.
 */
export interface BackendModule<C extends BackendConfig = BackendConfig> {
  /** The `type` operators write in the config (a package name for third-party backends). */
  readonly type: string;
  /** The {@link BACKEND_CONTRACT} this module implements. */
  readonly contract: number;
  /**
   * JSON Schema of the backend's config section: compiled at load time unless `validateConfig` is
   * given, and what a misspelt key is matched against for a "did you mean".
   */
  readonly configSchema?: object;
  /** A precompiled validator for the config section (built-in backends). */
  readonly validateConfig?: ConfigValidator;
  /**
   * Dotted keys of the config section that name files or directories (`ironic.ca_file`). A
   * relative path there is taken relative to the config file's directory, so the files a BOSH
   * job renders next to its config are found wherever the job is installed.
   */
  readonly pathKeys?: readonly string[];
  /** The stemcell formats (`<infrastructure>-<format>`) this backend accepts, from config alone. */
  stemcellFormats(config: C): readonly string[];
  create(config: C, deps: BackendDeps): Backend | Promise<Backend>;
}
