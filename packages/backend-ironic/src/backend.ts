import type { Backend, BackendDeps } from '@hybrid-cpi/core';
import type { IronicConfig, IronicContext } from './config.js';
import { connectIronic } from './ironic/connect.js';
import { claimsByAllocation } from './claim-mode.js';
import { calculateVmCloudProperties } from './methods/calculate-vm-cloud-properties.js';
import { createVm } from './methods/create-vm.js';
import { attachDisk, createDisk, deleteDisk, detachDisk, getDisks, hasDisk, setDiskMetadata } from './methods/disks.js';
import { deleteVm } from './methods/delete-vm.js';
import { hasVm } from './methods/has-vm.js';
import { rebootVm } from './methods/reboot-vm.js';
import { setVmMetadata } from './methods/set-vm-metadata.js';
import { createStemcell, deleteStemcell } from './methods/stemcells.js';

/** Makes the backend of one `type: ironic` instance; only composes, each method has its file. */
export async function createIronicBackend(config: IronicConfig, deps: BackendDeps): Promise<Backend> {
  const client = await connectIronic(config.ironic, { logger: deps.logger });
  let allocations: Promise<boolean> | undefined;
  const ctx: IronicContext = {
    name: deps.name,
    config,
    agent: deps.agent,
    client,
    logger: deps.logger,
    useAllocations: (signal) => (allocations ??= claimsByAllocation(config, client, signal)),
  };
  return {
    createStemcell: (call, request) => createStemcell(ctx, call, request),
    deleteStemcell: (call, cid) => deleteStemcell(ctx, call, cid),
    createVm: (call, request) => createVm(ctx, call, request),
    deleteVm: (call, cid) => deleteVm(ctx, call, cid),
    hasVm: (call, cid) => hasVm(ctx, call, cid),
    rebootVm: (call, cid) => rebootVm(ctx, call, cid),
    setVmMetadata: (call, cid, metadata) => setVmMetadata(ctx, call, cid, metadata),
    calculateVmCloudProperties: (call, resources) => calculateVmCloudProperties(call, resources),
    createDisk: (call, request) => createDisk(ctx, call, request),
    deleteDisk: (call, cid) => deleteDisk(ctx, call, cid),
    hasDisk: (call, cid) => hasDisk(ctx, call, cid),
    attachDisk: (call, vm, disk) => attachDisk(ctx, call, vm, disk),
    detachDisk: (call, vm, disk) => detachDisk(ctx, call, vm, disk),
    getDisks: (call, vm) => getDisks(ctx, call, vm),
    setDiskMetadata: (call, disk, metadata) => setDiskMetadata(ctx, call, disk, metadata),
    close: () => client.close(),
  } satisfies Backend;
}
