import { messageOf, type Backend, type CallContext, type MethodName } from '@hybrid-cpi/core';
import { directCallContext } from '@hybrid-cpi/core/testing';
import type { Leftovers } from './lifecycle-tracker.js';

/** One thing the clean-up did, or failed to do. */
export interface CleanupLine {
  readonly ok: boolean;
  readonly text: string;
}

/**
 * Deletes what the suite left behind (a step failed, or the run was interrupted): disks first
 * (detached from their VM), then VMs, then stemcells, as the director deletes a deployment.
 * Goes on past a failure, so one stuck resource does not keep the others.
 */
export async function cleanUp(backend: Backend, leftovers: Leftovers): Promise<CleanupLine[]> {
  const lines: CleanupLine[] = [];
  const attempt = async (what: string, fn: () => Promise<void>) => {
    try {
      await fn();
      lines.push({ ok: true, text: `deleted ${what}` });
    } catch (error) {
      lines.push({ ok: false, text: `could not delete ${what}: ${messageOf(error)} -> delete it by hand` });
    }
  };
  for (const [disk, vm] of [...leftovers.disks]) {
    await attempt(`disk ${disk}`, async () => {
      // The attach may not have happened (DiskNotAttached): the delete says whether it matters.
      if (vm !== undefined && leftovers.vms.has(vm)) await backend.detachDisk(context('detach_disk'), vm, disk).catch(() => undefined);
      await backend.deleteDisk(context('delete_disk'), disk);
    });
  }
  for (const vm of [...leftovers.vms]) await attempt(`VM ${vm}`, () => backend.deleteVm(context('delete_vm'), vm));
  for (const stemcell of [...leftovers.stemcells]) await attempt(`stemcell ${stemcell}`, () => backend.deleteStemcell(context('delete_stemcell'), stemcell));
  return lines;
}

function context(method: MethodName): CallContext {
  return directCallContext(method, { apiVersion: 2, directorUuid: 'hybrid-cpi-lifecycle', requestId: 'hybrid-cpi-lifecycle-cleanup' });
}
