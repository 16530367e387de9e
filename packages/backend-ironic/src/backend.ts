import type { Backend, BackendDeps, CallContext } from '@hybrid-cpi/core';
import { DEFAULTS, type AgentConfig, type IronicConfig, type IronicContext } from './config.js';
import { realClock, realSleep } from './ironic/backoff.js';
import { connectIronic, seamDispatcher } from './ironic/connect.js';
import { deployTimeoutSeconds } from './node/waits.js';
import { claimsByAllocation } from './node/claim-mode.js';
import { globalRequestId } from './ironic/request-id.js';
import { calculateVmCloudProperties } from './methods/calculate-vm-cloud-properties.js';
import { createVm } from './methods/create-vm.js';
import { createVmOnDiskNode } from './node/rebuild.js';
import { attachDisk, createDisk, deleteDisk, detachDisk, getDisks, hasDisk, setDiskMetadata } from './methods/disks.js';
import { deleteVm } from './methods/delete-vm.js';
import { hasVm } from './methods/has-vm.js';
import { rebootVm } from './methods/reboot-vm.js';
import { setVmMetadata } from './methods/set-vm-metadata.js';
import { createStemcell, deleteStemcell } from './methods/stemcells.js';

/**
 * Makes the backend of one `type: ironic` instance; only composes, each method has its file. Its
 * HTTP (Ironic, Keystone, the image store), clock and sleep are the seams of `deps` where given.
 */
export async function createIronicBackend(config: IronicConfig, deps: BackendDeps): Promise<Backend> {
  const clock = deps.seams?.clock ?? realClock;
  const sleep = deps.seams?.sleep ?? realSleep;
  const http = seamDispatcher(deps.seams);
  const client = await connectIronic(config.ironic, { logger: deps.logger, clock, sleep, ...http });
  let allocations: Promise<boolean> | undefined;
  const ctx: IronicContext = {
    name: deps.name,
    config,
    agent: deps.agent as AgentConfig | undefined,
    client,
    logger: deps.logger,
    clock,
    sleep,
    ...(http.dispatcher === undefined ? {} : { httpDispatcher: http.dispatcher }),
    useAllocations: (signal) => (allocations ??= claimsByAllocation(config, client, signal)),
  };
  const scoped = (call: CallContext) => forCall(ctx, call);
  return {
    createStemcell: (call, request) => createStemcell(scoped(call), call, request),
    deleteStemcell: (call, cid) => deleteStemcell(scoped(call), call, cid),
    // Local disks do not move: a VM with disks goes onto their node, rebuilt in place.
    createVm: (call, request) => (request.diskCids.length > 0 ? createVmOnDiskNode(scoped(call), call, request) : createVm(scoped(call), call, request)),
    deleteVm: (call, cid) => deleteVm(scoped(call), call, cid),
    hasVm: (call, cid) => hasVm(scoped(call), call, cid),
    rebootVm: (call, cid) => rebootVm(scoped(call), call, cid),
    setVmMetadata: (call, cid, metadata) => setVmMetadata(scoped(call), call, cid, metadata),
    calculateVmCloudProperties: (call, resources) => calculateVmCloudProperties(call, resources),
    createDisk: (call, request) => createDisk(scoped(call), call, request),
    deleteDisk: (call, cid) => deleteDisk(scoped(call), call, cid),
    hasDisk: (call, cid) => hasDisk(scoped(call), call, cid),
    attachDisk: (call, vm, disk) => attachDisk(scoped(call), call, vm, disk),
    detachDisk: (call, vm, disk) => detachDisk(scoped(call), call, vm, disk),
    getDisks: (call, vm) => getDisks(scoped(call), call, vm),
    setDiskMetadata: (call, disk, metadata) => setDiskMetadata(scoped(call), call, disk, metadata),
    close: () => client.close(),
  } satisfies Backend;
}

/**
 * The backend as one call sees it: its Ironic requests carry the director's request id as Ironic's
 * global request id, so Ironic's log lines of this call show it, and its log lines carry both ids
 * (the call's logger has the director's). Ironic's 503 back-pressure is waited out within the
 * call's budget: `deploy_timeout_seconds` for create_vm, `undeploy_timeout_seconds` for the rest.
 */
function forCall(ctx: IronicContext, call: CallContext): IronicContext {
  const id = globalRequestId(call.requestId);
  const budget = call.method === 'create_vm' ? deployTimeoutSeconds(ctx) : (ctx.config.undeploy_timeout_seconds ?? DEFAULTS.undeployTimeoutSeconds);
  // The backend's own logger (deps.logger): in a CPI call it carries the request's bindings already.
  const logger = id === undefined ? ctx.logger : ctx.logger.child({ global_request_id: id });
  const client = ctx.client.forCall({ logger, until: ctx.clock() + budget * 1000, ...(id === undefined ? {} : { globalRequestId: id }) });
  return { ...ctx, logger, client };
}
