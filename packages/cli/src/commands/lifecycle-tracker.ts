import type { Backend, CallContext, NativeCid } from '@hybrid-cpi/core';

/** What the suite made and has not deleted yet. */
export interface Leftovers {
  readonly stemcells: ReadonlySet<NativeCid<'stemcell'>>;
  readonly vms: ReadonlySet<NativeCid<'vm'>>;
  /** Each disk with the VM it is attached to, if any. */
  readonly disks: ReadonlyMap<NativeCid<'disk'>, NativeCid<'vm'> | undefined>;
}

/**
 * Wraps the backend under test to remember every stemcell, VM and disk it creates and every one
 * it deletes, so that what a failed step left behind can be removed afterwards. The suite's steps
 * keep their own state to themselves; this keeps the runner independent of it.
 */
export function trackBackend(backend: Backend): { backend: Backend; leftovers: Leftovers; closed: () => boolean } {
  const stemcells = new Set<NativeCid<'stemcell'>>();
  const vms = new Set<NativeCid<'vm'>>();
  const disks = new Map<NativeCid<'disk'>, NativeCid<'vm'> | undefined>();
  let closed = false;
  const tracked: Backend = {
    // The backend's own methods, bound to it (optional ones stay absent).
    hasVm: backend.hasVm.bind(backend),
    rebootVm: backend.rebootVm.bind(backend),
    hasDisk: backend.hasDisk.bind(backend),
    ...(backend.setVmMetadata === undefined ? {} : { setVmMetadata: backend.setVmMetadata.bind(backend) }),
    ...(backend.getDisks === undefined ? {} : { getDisks: backend.getDisks.bind(backend) }),
    ...(backend.setDiskMetadata === undefined ? {} : { setDiskMetadata: backend.setDiskMetadata.bind(backend) }),
    createStemcell: async (ctx: CallContext, request: Parameters<Backend['createStemcell']>[1]) => {
      const cid = await backend.createStemcell(ctx, request);
      stemcells.add(cid);
      return cid;
    },
    deleteStemcell: async (ctx: CallContext, cid: NativeCid<'stemcell'>) => {
      await backend.deleteStemcell(ctx, cid);
      stemcells.delete(cid);
    },
    createVm: async (ctx: CallContext, request: Parameters<Backend['createVm']>[1]) => {
      const created = await backend.createVm(ctx, request);
      vms.add(created.cid);
      return created;
    },
    deleteVm: async (ctx: CallContext, cid: NativeCid<'vm'>) => {
      await backend.deleteVm(ctx, cid);
      vms.delete(cid);
      for (const [disk, vm] of disks) if (vm === cid) disks.set(disk, undefined);
    },
    createDisk: async (ctx: CallContext, request: Parameters<Backend['createDisk']>[1]) => {
      const cid = await backend.createDisk(ctx, request);
      disks.set(cid, undefined);
      return cid;
    },
    deleteDisk: async (ctx: CallContext, cid: NativeCid<'disk'>) => {
      await backend.deleteDisk(ctx, cid);
      disks.delete(cid);
    },
    attachDisk: async (ctx: CallContext, vm: NativeCid<'vm'>, disk: NativeCid<'disk'>) => {
      // Marked before the call: an attach that failed half-way may still have attached.
      if (disks.has(disk)) disks.set(disk, vm);
      return backend.attachDisk(ctx, vm, disk);
    },
    detachDisk: async (ctx: CallContext, vm: NativeCid<'vm'>, disk: NativeCid<'disk'>) => {
      await backend.detachDisk(ctx, vm, disk);
      if (disks.has(disk)) disks.set(disk, undefined);
    },
    close: async () => {
      closed = true;
      await backend.close?.();
    },
  };
  return { backend: tracked, leftovers: { stemcells, vms, disks }, closed: () => closed };
}
