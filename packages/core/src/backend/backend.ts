import type { Logger } from '../logging/logger.js';
import type { ApiVersion, CamelCase, ParamsOf, ResultOf } from '../protocol/method-spec.js';
import type { METHODS, MethodName } from '../protocol/methods.js';

export type { CloudProperties, DiskHint, Metadata, Networks, VmResources } from '../protocol/methods.js';

/** Everything a backend may want to know about the call it serves. */
export interface CallContext {
  readonly method: MethodName;
  /** The API version of the request (absent in the request means 1). */
  readonly apiVersion: ApiVersion;
  /** `api_version` exactly as the caller sent it, for delegates that forward it. */
  readonly requestedApiVersion: number | undefined;
  readonly requestId: string | undefined;
  readonly directorUuid: string | undefined;
  /** `context.vm.stemcell.api_version`, when the director sent it. */
  readonly stemcellApiVersion: number | undefined;
  /** The request's `context` as the director sent it (cpi-config properties included). */
  readonly context: Readonly<Record<string, unknown>>;
  /**
   * The request exactly as the director sent it (JSON text, CIDs still prefixed), in the backend
   * call that serves it, for a backend that forwards it replacing only the CIDs. Undefined in the
   * calls the core makes by itself (a rollback, a stemcell part's removal) and in direct calls
   * (the conformance suite, operator commands): those a forwarding backend writes from the table.
   */
  readonly directorRequest: string | undefined;
  /** A child logger bound to the backend, method and request id. */
  readonly logger: Logger;
  /** The response's `log`, for text that belongs in the task's CPI log whatever `log_level` says. */
  readonly responseLog: ResponseLog;
  /** Aborted when the process is asked to stop (SIGTERM, SIGINT). */
  readonly signal: AbortSignal;
}

/**
 * The director appends the response's `log` verbatim to the task's CPI log (`bosh task N --cpi`),
 * after the call's stderr lines. A backend adds text there that an operator must see whatever
 * the CPI's `log_level` (a delegated CPI's own `log`); each text added ends with a newline, and
 * the core's one-line summary of the call comes last. Secrets are scrubbed from it.
 */
export interface ResponseLog {
  append(text: string): void;
}

type Spec<M extends MethodName> = (typeof METHODS)[M];
/** The methods a backend serves: all but those the core answers itself. */
export type ServedMethod = { [M in MethodName]: Spec<M>['route'] extends { readonly by: 'core' } ? never : M }[MethodName];
type RequiredMethod = { [M in ServedMethod]: Spec<M>['absent'] extends 'required' ? M : never }[ServedMethod];
type OptionalMethod = Exclude<ServedMethod, RequiredMethod>;

/**
 * The backend method of a CPI method: its parameters and result, as the method table gives them.
 * Checked as a method is (an implementation may take a wider parameter), as the interface of
 * hand-written methods was.
 */
export type BackendMethod<M extends ServedMethod> = {
  method(ctx: CallContext, ...params: ParamsOf<Spec<M>>): Promise<ResultOf<Spec<M>>>;
}['method'];
/** A backend method's name: the CPI method's, camel-cased (`set_vm_metadata` → `setVmMetadata`). */
export type BackendMethodName<M extends MethodName> = CamelCase<M>;

export type CreateStemcellRequest = ParamsOf<Spec<'create_stemcell'>>[0];
export type CreateVmRequest = ParamsOf<Spec<'create_vm'>>[0];
export type CreatedVm = ResultOf<Spec<'create_vm'>>;
export type CreateDiskRequest = ParamsOf<Spec<'create_disk'>>[0];
export type CreatedNetwork = ResultOf<Spec<'create_network'>>;

/**
 * One backend instance: a method per CPI method of the table (packages/core/src/protocol/methods.ts)
 * that the core does not answer itself, camel-cased, each taking a `CallContext` first. It sees
 * and returns only native CIDs, typed by kind; the core adds and removes the `<backend>:` prefix,
 * shapes results per API version and turns errors into the director's types.
 *
 * Contract, as the director relies on it:
 * - deletes of something missing succeed (or throw VMNotFound / DiskNotFound);
 * - `hasVm` / `hasDisk` answer false for unknown CIDs, never throw for them;
 * - `createVm` cleans up after itself before it throws, and throws VMCreationFailed with
 *   `okToRetry` true only when the same call can succeed later.
 * Optional methods that are absent make the core answer what the table says (NotImplemented, or
 * NotSupported for the disk resizing ones, so the director falls back to copying).
 */
export type Backend = { [M in RequiredMethod as BackendMethodName<M>]: BackendMethod<M> } & {
  [M in OptionalMethod as BackendMethodName<M>]?: BackendMethod<M>;
} & {
  /** Releases sockets or child processes before the process exits. */
  close?(): Promise<void>;
};
