import type {
  Backend,
  BackendDeps,
  CallContext,
  CloudProperties,
  CreateDiskRequest,
  CreatedNetwork,
  CreatedVm,
  CreateStemcellRequest,
  CreateVmRequest,
  DiskHint,
  Metadata,
  NativeCid,
  VmResources,
} from '@hybrid-cpi/core';
import { CpiError } from '@hybrid-cpi/core';
import { DEFAULT_DELEGATE_API_VERSION, type DelegateConfig } from './config.js';
import { MAX_STDOUT_CHARS, cpiEnvironment, execCpi, type ExecCpiResult } from './exec-cpi.js';
import { delegateArguments, delegateContext, forwardedApiVersion, serializeRequest, type DelegatedCall } from './request.js';
import { delegateError, parseResponse } from './response.js';
import {
  booleanResult,
  cidListResult,
  cidResult,
  cloudPropertiesResult,
  createdNetworkResult,
  createdVmResult,
  diskHintResult,
  optionalCidResult,
} from './results.js';

/** Makes the backend of one `type: delegate` instance. */
export function createDelegateBackend(config: DelegateConfig, deps: BackendDeps): Backend {
  return new DelegateBackend(config, deps);
}

/**
 * Another CPI executable behind the proxy. Each method is one run of it, with the director's
 * request passed on as sent apart from the CIDs and the API version (reference/bosh-cpi.md §3.4);
 * the delegate's own NotImplemented answers pass through for the optional methods it lacks.
 */
export class DelegateBackend implements Backend {
  readonly #config: DelegateConfig;
  readonly #name: string;
  readonly #apiVersion: number;

  constructor(config: DelegateConfig, deps: Pick<BackendDeps, 'name'>) {
    this.#config = config;
    this.#name = deps.name;
    this.#apiVersion = config.api_version ?? DEFAULT_DELEGATE_API_VERSION;
  }

  async createStemcell(ctx: CallContext, { imagePath, cloudProperties, env }: CreateStemcellRequest): Promise<NativeCid> {
    const args = env === undefined ? [imagePath, cloudProperties] : [imagePath, cloudProperties, env];
    return cidResult('create_stemcell', (await this.#call(ctx, { method: 'create_stemcell', args })).result);
  }

  async deleteStemcell(ctx: CallContext, stemcell: NativeCid): Promise<void> {
    await this.#call(ctx, { method: 'delete_stemcell', args: [stemcell], cids: { 0: stemcell } });
  }

  async createVm(ctx: CallContext, request: CreateVmRequest): Promise<CreatedVm> {
    const { agentId, stemcellCid, cloudProperties, networks, diskCids, env } = request;
    const { result } = await this.#call(ctx, {
      method: 'create_vm',
      args: [agentId, stemcellCid, cloudProperties, networks, diskCids, env],
      cids: { 1: stemcellCid, 4: diskCids },
    });
    return createdVmResult(result, networks);
  }

  async deleteVm(ctx: CallContext, vm: NativeCid): Promise<void> {
    await this.#call(ctx, { method: 'delete_vm', args: [vm], cids: { 0: vm } });
  }

  async hasVm(ctx: CallContext, vm: NativeCid): Promise<boolean> {
    return booleanResult('has_vm', (await this.#call(ctx, { method: 'has_vm', args: [vm], cids: { 0: vm } })).result);
  }

  async rebootVm(ctx: CallContext, vm: NativeCid): Promise<void> {
    await this.#call(ctx, { method: 'reboot_vm', args: [vm], cids: { 0: vm } });
  }

  async setVmMetadata(ctx: CallContext, vm: NativeCid, metadata: Metadata): Promise<void> {
    await this.#call(ctx, { method: 'set_vm_metadata', args: [vm, metadata], cids: { 0: vm } });
  }

  async getDisks(ctx: CallContext, vm: NativeCid): Promise<readonly NativeCid[]> {
    return cidListResult('get_disks', (await this.#call(ctx, { method: 'get_disks', args: [vm], cids: { 0: vm } })).result);
  }

  async calculateVmCloudProperties(ctx: CallContext, resources: VmResources): Promise<CloudProperties> {
    return cloudPropertiesResult((await this.#call(ctx, { method: 'calculate_vm_cloud_properties', args: [resources] })).result);
  }

  async createDisk(ctx: CallContext, { size, cloudProperties, vmCid }: CreateDiskRequest): Promise<NativeCid> {
    const { result } = await this.#call(ctx, { method: 'create_disk', args: [size, cloudProperties, vmCid ?? null], cids: { 2: vmCid } });
    return cidResult('create_disk', result);
  }

  async deleteDisk(ctx: CallContext, disk: NativeCid): Promise<void> {
    await this.#call(ctx, { method: 'delete_disk', args: [disk], cids: { 0: disk } });
  }

  async hasDisk(ctx: CallContext, disk: NativeCid): Promise<boolean> {
    return booleanResult('has_disk', (await this.#call(ctx, { method: 'has_disk', args: [disk], cids: { 0: disk } })).result);
  }

  async attachDisk(ctx: CallContext, vm: NativeCid, disk: NativeCid): Promise<DiskHint> {
    const { result, version } = await this.#call(ctx, { method: 'attach_disk', args: [vm, disk], cids: { 0: vm, 1: disk } });
    return diskHintResult(result, version ?? 1, ctx.apiVersion);
  }

  async detachDisk(ctx: CallContext, vm: NativeCid, disk: NativeCid): Promise<void> {
    await this.#call(ctx, { method: 'detach_disk', args: [vm, disk], cids: { 0: vm, 1: disk } });
  }

  async setDiskMetadata(ctx: CallContext, disk: NativeCid, metadata: Metadata): Promise<void> {
    await this.#call(ctx, { method: 'set_disk_metadata', args: [disk, metadata], cids: { 0: disk } });
  }

  async resizeDisk(ctx: CallContext, disk: NativeCid, newSize: number): Promise<void> {
    await this.#call(ctx, { method: 'resize_disk', args: [disk, newSize], cids: { 0: disk } });
  }

  async updateDisk(ctx: CallContext, disk: NativeCid, newSize: number, cloudProperties: CloudProperties): Promise<NativeCid | undefined> {
    const { result } = await this.#call(ctx, { method: 'update_disk', args: [disk, newSize, cloudProperties], cids: { 0: disk } });
    return optionalCidResult('update_disk', result);
  }

  async snapshotDisk(ctx: CallContext, disk: NativeCid, metadata: Metadata): Promise<NativeCid> {
    return cidResult('snapshot_disk', (await this.#call(ctx, { method: 'snapshot_disk', args: [disk, metadata], cids: { 0: disk } })).result);
  }

  async deleteSnapshot(ctx: CallContext, snapshot: NativeCid): Promise<void> {
    await this.#call(ctx, { method: 'delete_snapshot', args: [snapshot], cids: { 0: snapshot } });
  }

  async createNetwork(ctx: CallContext, definition: Readonly<Record<string, unknown>>): Promise<CreatedNetwork> {
    return createdNetworkResult((await this.#call(ctx, { method: 'create_network', args: [definition] })).result);
  }

  async deleteNetwork(ctx: CallContext, network: NativeCid): Promise<void> {
    await this.#call(ctx, { method: 'delete_network', args: [network], cids: { 0: network } });
  }

  async currentVmId(ctx: CallContext): Promise<NativeCid> {
    return cidResult('current_vm_id', (await this.#call(ctx, { method: 'current_vm_id', args: [] })).result);
  }

  /** One run of the delegate: its result, or its error as the director would see it. */
  async #call(ctx: CallContext, call: DelegatedCall): Promise<{ result: unknown; version: number | undefined }> {
    const version = forwardedApiVersion(ctx.requestedApiVersion, this.#apiVersion);
    const input = serializeRequest(call.method, delegateArguments(ctx, call, version), delegateContext(ctx, this.#config.context), version);
    // A call the core makes inside another method (a rollback) says which method it is.
    const logger = call.method === ctx.method ? ctx.logger : ctx.logger.child({ delegate_method: call.method });
    const run = await execCpi({
      command: this.#config.command,
      input,
      env: cpiEnvironment(process.env, this.#config.env),
      timeoutMs: this.#config.timeout_seconds === undefined ? undefined : Math.ceil(this.#config.timeout_seconds * 1000),
      signal: ctx.signal,
      onStderrLine: (line) => logger.info({ delegate_stderr: line }, 'delegate CPI stderr'),
    });
    logger.debug(
      { command: this.#config.command[0], api_version: version ?? null, exit_code: run.exitCode ?? null, signal: run.signal ?? null, ms: Math.round(run.ms) },
      'delegate CPI finished',
    );
    if (run.pipesHeld) logger.warn('processes the delegate CPI started still held its stdout or stderr after it exited; stopped reading them');
    const doing = `${call.method} in backend '${this.#name}' (delegate CPI ${this.#config.command[0]})`;
    const broken = this.#brokenRun(run, doing);
    if (broken !== undefined) throw broken;
    const parsed = parseResponse(run.stdout);
    if (!parsed.ok) {
      if (run.stdout.trim() !== '')
        logger.warn({ delegate_stdout: run.stdout.slice(0, 1000) }, 'delegate CPI stdout that is not a response (first 1000 characters)');
      throw new CpiError('CPX_BACKEND_FAILURE', `${doing}: no valid response: ${parsed.problem}${exitDetail(run)}`);
    }
    const { result, error, log } = parsed.response;
    // Ruby CPIs put their whole debug log here: the operator reads it in the task's CPI log.
    ctx.responseLog.append(log);
    if (run.exitCode !== 0)
      logger.warn(
        { exit_code: run.exitCode ?? null, signal: run.signal ?? null },
        'delegate CPI exited abnormally after a valid response; using the response, as the director does',
      );
    if (error !== null) throw delegateError(error);
    return { result, version };
  }

  #brokenRun(run: ExecCpiResult, doing: string): CpiError | undefined {
    if (run.failure !== undefined) return new CpiError('CPX_BACKEND_FAILURE', `${doing}: could not run it: ${run.failure}`);
    if (run.timedOut) {
      return new CpiError(
        'CPX_BACKEND_FAILURE',
        `${doing}: no answer within timeout_seconds (${this.#config.timeout_seconds} s); the CPI process was stopped${exitDetail(run)}`,
      );
    }
    if (run.canceled) return new CpiError('CPX_BACKEND_FAILURE', `${doing}: stopped because the proxy was asked to stop${exitDetail(run)}`);
    if (run.stdoutTooLarge)
      return new CpiError('CPX_BACKEND_FAILURE', `${doing}: its stdout grew past ${MAX_STDOUT_CHARS / 1048576} MiB; the CPI process was stopped`);
    return undefined;
  }
}

function exitDetail(run: ExecCpiResult): string {
  if (run.signal !== undefined) return ` (the CPI process ended by ${run.signal})`;
  if (run.exitCode !== undefined && run.exitCode !== 0) return ` (the CPI process exited with status ${run.exitCode})`;
  return '';
}
