import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import {
  CpiError,
  nativeCid,
  type Backend,
  type CallContext,
  type CreateDiskRequest,
  type CreateStemcellRequest,
  type CreateVmRequest,
  type CreatedVm,
  type DiskHint,
  type Metadata,
  type NativeCid,
  type VmResources,
} from '@hybrid-cpi/core';
import type { MemoryState, MemoryStore } from './store.js';

/**
 * A backend whose VMs, disks and stemcells are records in a {@link MemoryStore}. It behaves as
 * the director expects of a real CPI (idempotent deletes, false for unknown CIDs, the right
 * error types), so it serves demos, the router's tests and the conformance suite's own tests.
 * It keeps no cloud_properties or env: they may hold secrets.
 */
export class MemoryBackend implements Backend {
  constructor(private readonly store: MemoryStore) {}

  async createStemcell(_ctx: CallContext, { imagePath }: CreateStemcellRequest): Promise<NativeCid<'stemcell'>> {
    if (!fs.existsSync(imagePath)) throw new CpiError('CPX_BACKEND_FAILURE', `Creating stemcell: image ${imagePath} does not exist`);
    const cid = `sc-${randomUUID()}`;
    this.store.update((s) => (s.stemcells[cid] = { imagePath }));
    return nativeCid('stemcell', cid);
  }

  async deleteStemcell(_ctx: CallContext, cid: NativeCid<'stemcell'>): Promise<void> {
    this.store.update((s) => delete s.stemcells[cid]);
  }

  async createVm(_ctx: CallContext, request: CreateVmRequest): Promise<CreatedVm> {
    const cid = `vm-${randomUUID()}`;
    this.store.update((s) => {
      if (s.stemcells[request.stemcellCid] === undefined) {
        throw new CpiError('CPX_STEMCELL_NOT_FOUND', `Creating VM for agent '${request.agentId}': stemcell '${request.stemcellCid}' does not exist`);
      }
      s.vms[cid] = { agentId: request.agentId, stemcell: request.stemcellCid, disks: [], metadata: {}, reboots: 0 };
    });
    return { cid: nativeCid('vm', cid), networks: request.networks };
  }

  async deleteVm(_ctx: CallContext, cid: NativeCid<'vm'>): Promise<void> {
    this.store.update((s) => {
      for (const disk of s.vms[cid]?.disks ?? []) if (s.disks[disk] !== undefined) s.disks[disk].vm = null;
      delete s.vms[cid];
    });
  }

  async hasVm(_ctx: CallContext, cid: NativeCid<'vm'>): Promise<boolean> {
    return this.store.update((s) => s.vms[cid] !== undefined);
  }

  async rebootVm(_ctx: CallContext, cid: NativeCid<'vm'>): Promise<void> {
    this.store.update((s) => (vmOf(s, cid, 'Rebooting').reboots += 1));
  }

  async setVmMetadata(_ctx: CallContext, cid: NativeCid<'vm'>, metadata: Metadata): Promise<void> {
    this.store.update((s) => (vmOf(s, cid, 'Setting metadata of').metadata = { ...metadata }));
  }

  async calculateVmCloudProperties(_ctx: CallContext, r: VmResources): Promise<Record<string, unknown>> {
    return { instance_type: `mem-${r.cpu}cpu-${r.ram}mb`, ephemeral_disk: { size: r.ephemeral_disk_size } };
  }

  async createDisk(_ctx: CallContext, { size, vmCid }: CreateDiskRequest): Promise<NativeCid<'disk'>> {
    const cid = `disk-${randomUUID()}`;
    this.store.update((s) => {
      if (vmCid !== undefined && s.vms[vmCid] === undefined)
        throw new CpiError('CPX_VM_NOT_FOUND', `Creating a disk next to VM '${vmCid}': the VM does not exist`);
      s.disks[cid] = { size, vm: null, metadata: {} };
    });
    return nativeCid('disk', cid);
  }

  async deleteDisk(_ctx: CallContext, cid: NativeCid<'disk'>): Promise<void> {
    this.store.update((s) => {
      const vm = s.disks[cid]?.vm;
      if (vm) throw new CpiError('CPX_BACKEND_FAILURE', `Deleting disk '${cid}': it is still attached to VM '${vm}'`);
      delete s.disks[cid];
    });
  }

  async hasDisk(_ctx: CallContext, cid: NativeCid<'disk'>): Promise<boolean> {
    return this.store.update((s) => s.disks[cid] !== undefined);
  }

  async attachDisk(_ctx: CallContext, vmCid: NativeCid<'vm'>, diskCid: NativeCid<'disk'>): Promise<DiskHint> {
    return this.store.update((s) => {
      const doing = `Attaching disk '${diskCid}' to VM '${vmCid}'`;
      const vm = vmOf(s, vmCid, 'Attaching a disk to');
      const disk = diskOf(s, diskCid, doing);
      if (disk.vm !== null && disk.vm !== vmCid) throw new CpiError('CPX_BACKEND_FAILURE', `${doing}: it is attached to VM '${disk.vm}'`);
      disk.vm = vmCid;
      if (!vm.disks.includes(diskCid)) vm.disks.push(diskCid);
      return { path: `/dev/sd${String.fromCharCode(99 + vm.disks.indexOf(diskCid))}`, id: diskCid };
    });
  }

  async detachDisk(_ctx: CallContext, vmCid: NativeCid<'vm'>, diskCid: NativeCid<'disk'>): Promise<void> {
    this.store.update((s) => {
      const vm = vmOf(s, vmCid, 'Detaching a disk from');
      const disk = diskOf(s, diskCid, `Detaching disk '${diskCid}' from VM '${vmCid}'`);
      if (disk.vm !== vmCid) throw new CpiError('CPX_DISK_NOT_ATTACHED', `Detaching disk '${diskCid}' from VM '${vmCid}': it is not attached there`);
      disk.vm = null;
      vm.disks = vm.disks.filter((d) => d !== diskCid);
    });
  }

  async getDisks(_ctx: CallContext, vmCid: NativeCid<'vm'>): Promise<NativeCid<'disk'>[]> {
    return this.store.update((s) => vmOf(s, vmCid, 'Listing the disks of').disks.map((disk) => nativeCid('disk', disk)));
  }

  async setDiskMetadata(_ctx: CallContext, cid: NativeCid<'disk'>, metadata: Metadata): Promise<void> {
    this.store.update((s) => (diskOf(s, cid, `Setting metadata of disk '${cid}'`).metadata = { ...metadata }));
  }

  async resizeDisk(_ctx: CallContext, cid: NativeCid<'disk'>, newSize: number): Promise<void> {
    this.store.update((s) => {
      const disk = diskOf(s, cid, `Resizing disk '${cid}'`);
      if (newSize < disk.size) throw new CpiError('CPX_NOT_SUPPORTED', `Resizing disk '${cid}' from ${disk.size} to ${newSize} MiB: disks only grow`);
      disk.size = newSize;
    });
  }

  async snapshotDisk(_ctx: CallContext, cid: NativeCid<'disk'>): Promise<NativeCid<'snapshot'>> {
    const snapshot = `snap-${randomUUID()}`;
    this.store.update((s) => {
      diskOf(s, cid, `Snapshotting disk '${cid}'`);
      s.snapshots[snapshot] = { disk: cid };
    });
    return nativeCid('snapshot', snapshot);
  }

  async deleteSnapshot(_ctx: CallContext, cid: NativeCid<'snapshot'>): Promise<void> {
    this.store.update((s) => delete s.snapshots[cid]);
  }
}

function vmOf(s: MemoryState, cid: string, doing: string) {
  const vm = s.vms[cid];
  if (vm === undefined) throw new CpiError('CPX_VM_NOT_FOUND', `${doing} VM '${cid}': it does not exist`);
  return vm;
}

function diskOf(s: MemoryState, cid: string, doing: string) {
  const disk = s.disks[cid];
  if (disk === undefined) throw new CpiError('CPX_DISK_NOT_FOUND', `${doing}: disk '${cid}' does not exist`);
  return disk;
}

MemoryBackend satisfies new (
  store: MemoryStore,
) => Backend;
