import type { NativeCid } from '../cid/index.js';
import type { Logger } from '../logging/logger.js';
import type { ApiVersion, MethodName } from '../protocol/signatures.js';

export type CloudProperties = Readonly<Record<string, unknown>>;
export type Metadata = Readonly<Record<string, unknown>>;
/** The director's `networks` argument: network name → settings (reference/bosh-cpi.md §2). */
export type Networks = Readonly<Record<string, Readonly<Record<string, unknown>>>>;
/** What `attach_disk` returns in API v2: a device path or an object the agent resolves. */
export type DiskHint = string | Readonly<Record<string, unknown>>;

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
   * The request's `arguments` exactly as the director sent them (CIDs still prefixed), for a
   * backend that forwards the call verbatim, replacing only the CIDs.
   */
  readonly rawArguments: readonly unknown[];
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

export interface CreateStemcellRequest {
  readonly imagePath: string;
  readonly cloudProperties: CloudProperties;
  /** The API v3 third argument (`{"tags": {...}}`), when sent. */
  readonly env: Readonly<Record<string, unknown>> | undefined;
}

export interface CreateVmRequest {
  readonly agentId: string;
  readonly stemcellCid: NativeCid;
  readonly cloudProperties: CloudProperties;
  readonly networks: Networks;
  readonly diskCids: readonly NativeCid[];
  readonly env: Readonly<Record<string, unknown>>;
}

export interface CreatedVm {
  readonly cid: NativeCid;
  /** The networks as configured on the VM (API v2 returns them to the director). */
  readonly networks: Networks;
}

export interface CreateDiskRequest {
  readonly size: number;
  readonly cloudProperties: CloudProperties;
  /** The VM the disk will be attached to (a placement hint), when the director names one. */
  readonly vmCid: NativeCid | undefined;
}

export interface VmResources {
  readonly cpu: number;
  readonly ram: number;
  readonly ephemeral_disk_size: number;
}

export interface CreatedNetwork {
  readonly cid: NativeCid;
  readonly spec: unknown;
  readonly cloudProperties: unknown;
}

/**
 * One backend instance. It sees and returns only native CIDs; the core adds and removes the
 * `<backend>:` prefix, shapes results per API version and turns errors into the director's types.
 *
 * Contract, as the director relies on it (reference/bosh-cpi.md §2):
 * - deletes of something missing succeed (or throw VMNotFound / DiskNotFound);
 * - `hasVm` / `hasDisk` answer false for unknown CIDs, never throw for them;
 * - `createVm` cleans up after itself before it throws, and throws VMCreationFailed with
 *   `okToRetry` true only when the same call can succeed later.
 * Optional methods that are absent make the core answer NotImplemented (NotSupported for the disk
 * resizing ones, so the director falls back to copying).
 */
export interface Backend {
  createStemcell(ctx: CallContext, request: CreateStemcellRequest): Promise<NativeCid>;
  deleteStemcell(ctx: CallContext, stemcell: NativeCid): Promise<void>;
  createVm(ctx: CallContext, request: CreateVmRequest): Promise<CreatedVm>;
  deleteVm(ctx: CallContext, vm: NativeCid): Promise<void>;
  hasVm(ctx: CallContext, vm: NativeCid): Promise<boolean>;
  rebootVm(ctx: CallContext, vm: NativeCid): Promise<void>;
  createDisk(ctx: CallContext, request: CreateDiskRequest): Promise<NativeCid>;
  deleteDisk(ctx: CallContext, disk: NativeCid): Promise<void>;
  hasDisk(ctx: CallContext, disk: NativeCid): Promise<boolean>;
  attachDisk(ctx: CallContext, vm: NativeCid, disk: NativeCid): Promise<DiskHint>;
  detachDisk(ctx: CallContext, vm: NativeCid, disk: NativeCid): Promise<void>;

  setVmMetadata?(ctx: CallContext, vm: NativeCid, metadata: Metadata): Promise<void>;
  getDisks?(ctx: CallContext, vm: NativeCid): Promise<readonly NativeCid[]>;
  setDiskMetadata?(ctx: CallContext, disk: NativeCid, metadata: Metadata): Promise<void>;
  resizeDisk?(ctx: CallContext, disk: NativeCid, newSize: number): Promise<void>;
  /** Returns the CID of the disk that replaces it, or undefined when it changed in place. */
  updateDisk?(ctx: CallContext, disk: NativeCid, newSize: number, cloudProperties: CloudProperties): Promise<NativeCid | undefined>;
  snapshotDisk?(ctx: CallContext, disk: NativeCid, metadata: Metadata): Promise<NativeCid>;
  deleteSnapshot?(ctx: CallContext, snapshot: NativeCid): Promise<void>;
  calculateVmCloudProperties?(ctx: CallContext, resources: VmResources): Promise<CloudProperties>;
  createNetwork?(ctx: CallContext, definition: Readonly<Record<string, unknown>>): Promise<CreatedNetwork>;
  deleteNetwork?(ctx: CallContext, network: NativeCid): Promise<void>;
  currentVmId?(ctx: CallContext): Promise<NativeCid>;
  /** Releases sockets or child processes before the process exits. */
  close?(): Promise<void>;
}
