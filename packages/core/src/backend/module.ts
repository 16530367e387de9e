import type { BackendName } from '../cid/index.js';
import type { Logger } from '../logging/logger.js';
import type { Backend } from './backend.js';
import type { Finding, NodeView } from './operator.js';

/**
 * Bumped when the {@link Backend} contract changes incompatibly. 2: methods take the arguments the
 * method table gives (the call context has no `rawArguments`), `BackendDeps.agent` is the section as
 * written, `BackendDeps.seams` and `BackendModule.operator` were added.
 */
export const BACKEND_CONTRACT = 2;

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
  /**
   * The config's top-level `agent` section as the core validated it (its schema is in
   * config/core-schema.ts); a backend that starts BOSH agents reads it with its own type.
   */
  readonly agent: TopLevelSection | undefined;
  /**
   * What tests replace, from the composition root (packages/cli/src/compose.ts): the built-in
   * backends use what is set and make their own otherwise; a plugin may ignore it.
   */
  readonly seams?: {
    readonly httpDispatcher?: unknown;
    readonly clock?: () => number;
    readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
    readonly spawn?: unknown;
  };
}

/** The seams a backend may take from the composition root: an undici Dispatcher, the clock, sleep, a child_process spawn. */
export type BackendSeams = NonNullable<BackendDeps['seams']>;

/** A top-level section of the config file that the core validates but does not read. */
export type TopLevelSection = Readonly<Record<string, unknown>>;

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
  /**
   * What the operator commands can do with this backend beyond its CPI methods (doctor checks, a
   * node view): loaded only by those commands, so keep its imports behind this function.
   */
  readonly operator?: () => Promise<BackendOperator<C>>;
}

/** What an operator command gives a backend's operator capabilities. */
export interface OperatorContext {
  readonly name: BackendName;
  readonly seams: BackendSeams;
}

export interface DoctorContext extends OperatorContext {
  /** Fires when the checks of this backend have taken too long. */
  readonly signal: AbortSignal;
  /** One line of the report, written at once (a slow check shows where it waits). */
  report(finding: Finding): void;
}

/** A backend's operator capabilities; each is optional, and a command does without what is absent. */
export interface BackendOperator<C extends BackendConfig = BackendConfig> {
  /** `hybrid-cpi doctor`: reaches what the backend depends on and reports what is wrong and how to fix it. */
  doctor?(config: C, ctx: DoctorContext): Promise<void>;
  /** `hybrid-cpi validate`, `explain` and `nodes`: the nodes the backend places VMs on. */
  nodeView?(config: C, ctx: OperatorContext): NodeView;
}
