export * from './backend/backend.js';
export {
  BACKEND_CONTRACT,
  type BackendConfig,
  type BackendDeps,
  type BackendModule,
  type ConfigValidator,
  type ConfigValidationError,
} from './backend/module.js';
export { loadBackendModule, type BuiltinModules } from './backend/loader.js';
export * from './cid/index.js';
export * from './errors/index.js';
export { loadConfig } from './config/load.js';
export { describeConfigErrors, keyPath } from './config/error-paths.js';
export type { AgentConfig, ConfigFile, HybridConfig, LogLevel, ResolvedBackend } from './config/types.js';
export { silentLogger, type Logger, type LogFn } from './logging/logger.js';
export { Secrets, REDACTED } from './logging/secrets.js';
export { BufferedLogger } from './logging/buffered.js';

export { loadLogger } from './logging/load-logger.js';
export { parseRequest, type CpiRequest } from './protocol/request.js';
export { errorResponse, okResponse, serializeResponse, type CpiResponse } from './protocol/response.js';
export { METHOD_NAMES, SIGNATURES, REPORTED_API_VERSION, isMethodName, type ApiVersion, type MethodName } from './protocol/signatures.js';
export { BackendRegistry } from './dispatch/registry.js';
export { dispatch } from './dispatch/dispatcher.js';
export { acceptsStemcell } from './dispatch/stemcell-formats.js';
