import type { BackendName } from '../cid/index.js';
import type { BackendConfig, BackendModule } from '../backend/module.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface AgentConfig {
  readonly mbus?: string;
  readonly ntp?: readonly string[];
  readonly blobstore?: { readonly provider: string; readonly options?: Readonly<Record<string, unknown>> };
}

/** The config file as written (DESIGN.md §8), after validation. */
export interface ConfigFile {
  readonly default_backend?: string;
  readonly legacy_backend?: string;
  readonly log_level?: LogLevel;
  readonly plugin_paths?: readonly string[];
  readonly agent?: AgentConfig;
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
