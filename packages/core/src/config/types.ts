import type { BackendName } from '../cid/index.js';
import type { BackendConfig, BackendModule, TopLevelSection } from '../backend/module.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** The config file as written (docs/architecture.md#the-config-file), after validation. */
export interface ConfigFile {
  readonly default_backend?: string;
  readonly legacy_backend?: string;
  readonly log_level?: LogLevel;
  readonly plugin_paths?: readonly string[];
  /** Settings for the BOSH agents of the backends that start them (`ironic`): passed on, not read. */
  readonly agent?: TopLevelSection;
  readonly backends: Readonly<Record<string, BackendConfig>>;
}

/** The validated, frozen config with each backend's module resolved. */
export interface HybridConfig {
  readonly file: string;
  readonly raw: ConfigFile;
  readonly defaultBackend: BackendName;
  readonly legacyBackend: BackendName | undefined;
  readonly logLevel: LogLevel;
  readonly backends: ReadonlyMap<BackendName, ResolvedBackend>;
}

export interface ResolvedBackend {
  readonly name: BackendName;
  readonly config: BackendConfig;
  readonly module: BackendModule;
}
