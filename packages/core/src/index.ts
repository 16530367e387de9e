export * from './backend/backend.js';
export { SERVED_METHODS, everyMethod, type EveryMethod } from './backend/every-method.js';
export {
  BACKEND_CONTRACT,
  type BackendConfig,
  type BackendDeps,
  type BackendModule,
  type BackendOperator,
  type BackendSeams,
  type ConfigValidator,
  type ConfigValidationError,
  type DoctorContext,
  type OperatorContext,
  type TopLevelSection,
} from './backend/module.js';
export * from './backend/operator.js';
export { loadBackendModule, type BuiltinModules } from './backend/loader.js';
export * from './cid/index.js';
export * from './errors/index.js';
export { loadConfig } from './config/load.js';
export { describeConfigErrors, keyPath } from './config/error-paths.js';
export type { ConfigFile, HybridConfig, LogLevel, ResolvedBackend } from './config/types.js';
export { silentLogger, type Logger, type LogFn } from './logging/logger.js';
export { Secrets, REDACTED } from './logging/secrets.js';
export { BufferedLogger } from './logging/buffered.js';

export { loadLogger } from './logging/load-logger.js';
export { parseRequest, type CpiRequest } from './protocol/request.js';
export { errorResponse, okResponse, serializeResponse, type CpiResponse } from './protocol/response.js';
export { METHODS, METHOD_NAMES, REPORTED_API_VERSION, isMethodName, methodSpec, type MethodName } from './protocol/methods.js';
export type { ApiVersion, MethodSpec, Part } from './protocol/method-spec.js';
export { argsOfVersion, camelCase, directorArguments, isCidPart, partName, resultFromWire } from './protocol/backend-call.js';
export { BackendRegistry } from './dispatch/registry.js';
export { dispatch } from './dispatch/dispatcher.js';
export { acceptsStemcell } from './dispatch/stemcell-formats.js';
