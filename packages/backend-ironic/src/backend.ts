import { CpiError, type Backend, type BackendDeps, type CallContext, type NativeCid } from '@hybrid-cpi/core';
import type { IronicConfig, IronicContext } from './config.js';
import { connectIronic } from './ironic/connect.js';
import { ALLOCATIONS, compareVersions, discoverVersions } from './ironic/microversions.js';
import { calculateVmCloudProperties } from './methods/calculate-vm-cloud-properties.js';
import { createVm } from './methods/create-vm.js';
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
    useAllocations: (signal) => {
      if (config.claim === 'allocation') return Promise.resolve(true);
      if (config.claim === 'instance_uuid') return Promise.resolve(false);
      allocations ??= discoverVersions(client, signal === undefined ? {} : { signal }).then((range) => compareVersions(range.max, ALLOCATIONS) >= 0);
      return allocations;
    },
  };
  const disks = (call: CallContext): never => {
    throw new CpiError('CPX_NOT_IMPLEMENTED', `Backend '${deps.name}' (type ironic): ${call.method}: persistent disks on bare metal are not in this build`);
  };
  return {
    createStemcell: (call, request) => createStemcell(call, request),
    deleteStemcell: () => deleteStemcell(),
    createVm: (call, request) => createVm(ctx, call, request),
    deleteVm: (call, cid) => deleteVm(ctx, call, cid),
    hasVm: (call, cid) => hasVm(ctx, call, cid),
    rebootVm: (call, cid) => rebootVm(ctx, call, cid),
    setVmMetadata: (call, cid, metadata) => setVmMetadata(ctx, call, cid, metadata),
    calculateVmCloudProperties: (call, resources) => calculateVmCloudProperties(call, resources),
    createDisk: async (call) => disks(call),
    deleteDisk: async (call) => disks(call),
    hasDisk: async (_call, _cid: NativeCid) => false,
    attachDisk: async (call) => disks(call),
    detachDisk: async (call) => disks(call),
    close: () => client.close(),
  } satisfies Backend;
}
