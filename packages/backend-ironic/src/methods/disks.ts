import { randomUUID } from 'node:crypto';
import { CpiError, type CallContext, type CreateDiskRequest, type DiskHint, type Metadata, type NativeCid, nativeCid } from '@hybrid-cpi/core';
import { claimNode } from '../node/claim.js';
import type { IronicContext } from '../config.js';
import { agentPath, chooseDevice, creatingDisk, deviceHint, excludedDevices, nodeDevices, type Device } from '../disks/devices.js';
import {
  DISKS_KEY,
  RESERVATION_KEY,
  WIPE_KEY,
  disksOf,
  newDiskCid,
  parseDiskCid,
  requireDiskCid,
  wipesOf,
  type DiskRecord,
  type Reservation,
} from '../disks/records.js';
import { isNotFound } from '../ironic/errors.js';
import { getNode } from '../ironic/nodes.js';
import { add, remove, replace, type PatchOp } from '../ironic/patch.js';
import type { Node } from '../ironic/types.js';
import { patchLocked } from '../node/lock.js';
import { giveBackDiskNode } from '../node/give-back.js';
import { requirementsOf } from '../selection/requirements.js';
import { carriesVm, findVmNode, vmRecord } from '../node/vm-node.js';

/**
 * create_disk: a local device of the node of `vm_cid`, recorded in the node's `extra`; the CID
 * names the node. Without a VM, a node is chosen as create_vm would choose one (from the
 * disk_type's cloud_properties) and claimed for the disk: the claim, the reservation and the
 * disk's record are one PATCH, so a kill leaves either all of them or none.
 */
export async function createDisk(ctx: IronicContext, call: CallContext, req: CreateDiskRequest): Promise<NativeCid<'disk'>> {
  const doing = creatingDisk(req.size, req.vmCid);
  const signal = call.signal;
  const hint = deviceHint(req.cloudProperties);
  const record = (device: Device): DiskRecord => ({ device: device.name, size_mb: req.size, hint: agentPath(device), attached_to: null, metadata: {} });
  let created: { cid: NativeCid<'disk'>; node: string; device: string } | undefined;
  if (req.vmCid !== undefined) {
    const vmCid = req.vmCid;
    const found = await findVmNode(ctx, vmCid, signal);
    if (found === undefined) throw new CpiError('CPX_VM_NOT_FOUND', `${doing}: no Ironic node carries VM ${vmCid}`);
    const devices = await nodeDevices(ctx, found, signal);
    // Under the node's lock: two disks made at once never get one device, nor lose a record.
    await patchLocked(ctx, found.uuid, doing, signal, (node) => {
      if (!carriesVm(node, vmCid)) throw new CpiError('CPX_VM_NOT_FOUND', `${doing}: VM ${vmCid} left node ${found.uuid}`);
      const device = chooseDevice(devices, excludedDevices(node, vmRecord(node)?.devices), hint, req.size, `${doing} on node ${node.name ?? node.uuid}`);
      const { cid, id } = newDiskCid(node.uuid);
      created = { cid, node: node.uuid, device: device.name };
      return [
        addDisk(node, id, record(device)),
        ...(node.extra?.[RESERVATION_KEY] === undefined ? [add(['extra', RESERVATION_KEY], reservation(node.instance_uuid!))] : []),
      ];
    });
  } else {
    const claim = randomUUID();
    await claimNode(ctx, {
      cid: claim,
      agentId: 'none (a disk reservation)',
      requirements: requirementsOf(req.cloudProperties),
      signal,
      byInstanceUuid: true,
      withClaim: async (node) => {
        const device = chooseDevice(await nodeDevices(ctx, node, signal), excludedDevices(node), hint, req.size, `${doing} on node ${node.name ?? node.uuid}`);
        const { cid, id } = newDiskCid(node.uuid);
        created = { cid, node: node.uuid, device: device.name };
        return [add(['extra', RESERVATION_KEY], reservation(claim)), add(['extra', DISKS_KEY], { [id]: record(device) })];
      },
    });
  }
  ctx.logger.info({ disk: created!.cid, node: created!.node, device: created!.device }, 'created disk');
  return created!.cid;
}

function reservation(uuid: string): Reservation {
  return { uuid, since: new Date().toISOString() };
}

function addDisk(node: Pick<Node, 'extra'>, id: string, record: DiskRecord): PatchOp {
  return node.extra?.[DISKS_KEY] === undefined ? add(['extra', DISKS_KEY], { [id]: record }) : add(['extra', DISKS_KEY, id], record);
}

/** The node of a disk and its record, or undefined when either is gone. */
async function diskOn(ctx: IronicContext, cid: string, signal: AbortSignal): Promise<{ node: Node; id: string; disk: DiskRecord } | undefined> {
  const parsed = parseDiskCid(cid);
  if (parsed === undefined) return undefined;
  const node = await getNode(ctx.client, parsed.node, { doing: `Finding the node of disk ${cid}`, signal }).catch((e: unknown) =>
    isNotFound(e) ? undefined : Promise.reject(e),
  );
  const disk = node === undefined ? undefined : disksOf(node)[parsed.id];
  return node === undefined || disk === undefined ? undefined : { node, id: parsed.id, disk };
}

async function requireDisk(ctx: IronicContext, cid: string, doing: string, signal: AbortSignal) {
  requireDiskCid(cid, doing);
  const found = await diskOn(ctx, cid, signal);
  if (found === undefined) throw new CpiError('CPX_DISK_NOT_FOUND', `${doing}: disk ${cid} does not exist`);
  return found;
}

/**
 * A disk can only be used on its own node: local disks do not move. The VM's node is read once
 * and, in the usual case, is the disk's node too.
 */
async function vmAndDisk(ctx: IronicContext, vm: string, disk: string, doing: string, signal: AbortSignal) {
  const parsed = requireDiskCid(disk, doing);
  const vmNode = await findVmNode(ctx, vm, signal);
  if (vmNode?.uuid === parsed.node) {
    if (disksOf(vmNode)[parsed.id] === undefined) throw new CpiError('CPX_DISK_NOT_FOUND', `${doing}: disk ${disk} does not exist`);
    return { node: vmNode, id: parsed.id };
  }
  const found = await requireDisk(ctx, disk, doing, signal);
  if (vmNode === undefined) throw new CpiError('CPX_VM_NOT_FOUND', `${doing}: no Ironic node carries VM ${vm}`);
  throw new CpiError(
    'CPX_BACKEND_FAILURE',
    `${doing}: the disk is a local disk of node ${found.node.name ?? found.node.uuid} but the VM runs on node ${vmNode.name ?? vmNode.uuid}; a VM ` +
      `gets its disks' node when create_vm names them in disk_cids`,
  );
}

/**
 * Changes one disk's record under the node's lock, once the VM is still on the node and the disk
 * still there: `change` returns the new record, or undefined to leave it.
 */
async function changeDisk(
  ctx: IronicContext,
  vm: string,
  disk: string,
  doing: string,
  signal: AbortSignal,
  change: (record: DiskRecord) => DiskRecord | undefined,
): Promise<DiskRecord> {
  const { node, id } = await vmAndDisk(ctx, vm, disk, doing, signal);
  let current: DiskRecord | undefined;
  await patchLocked(ctx, node.uuid, doing, signal, (now) => {
    if (!carriesVm(now, vm)) throw new CpiError('CPX_VM_NOT_FOUND', `${doing}: VM ${vm} left node ${node.uuid}`);
    current = disksOf(now)[id];
    if (current === undefined) throw new CpiError('CPX_DISK_NOT_FOUND', `${doing}: disk ${disk} does not exist`);
    const next = change(current);
    return next === undefined ? undefined : [replace(['extra', DISKS_KEY, id], next)];
  });
  return current!;
}

export async function hasDisk(ctx: IronicContext, call: CallContext, cid: NativeCid<'disk'>): Promise<boolean> {
  return (await diskOn(ctx, cid, call.signal)) !== undefined;
}

/**
 * attach_disk: the device hint the agent resolves (a stable by-id or by-path when known).
 * Idempotent. A node runs one VM, so a disk "attached" to any other VM names one that is gone (a
 * delete_vm killed before it detached): it is attached anew.
 */
export async function attachDisk(ctx: IronicContext, call: CallContext, vm: NativeCid<'vm'>, disk: NativeCid<'disk'>): Promise<DiskHint> {
  const record = await changeDisk(ctx, vm, disk, `Attaching disk ${disk} to VM ${vm}`, call.signal, (d) =>
    d.attached_to === vm ? undefined : { ...d, attached_to: vm },
  );
  return { path: record.hint };
}

export async function detachDisk(ctx: IronicContext, call: CallContext, vm: NativeCid<'vm'>, disk: NativeCid<'disk'>): Promise<void> {
  const doing = `Detaching disk ${disk} from VM ${vm}`;
  await changeDisk(ctx, vm, disk, doing, call.signal, (d) => {
    if (d.attached_to !== vm) throw new CpiError('CPX_DISK_NOT_ATTACHED', `${doing}: it is not attached to that VM`);
    return { ...d, attached_to: null };
  });
}

export async function getDisks(ctx: IronicContext, call: CallContext, vm: NativeCid<'vm'>): Promise<NativeCid<'disk'>[]> {
  const node = await findVmNode(ctx, vm, call.signal);
  if (node === undefined) throw new CpiError('CPX_VM_NOT_FOUND', `Listing the disks of VM ${vm}: no Ironic node carries it`);
  return Object.entries(disksOf(node))
    .filter(([, d]) => d.attached_to === vm)
    .map(([id]) => nativeCid('disk', `${node.uuid}.${id}`));
}

export async function setDiskMetadata(ctx: IronicContext, call: CallContext, disk: NativeCid<'disk'>, metadata: Metadata): Promise<void> {
  const doing = `Setting metadata of disk ${disk}`;
  const { node, id } = await requireDisk(ctx, disk, doing, call.signal);
  await patchLocked(ctx, node.uuid, doing, call.signal, (now) => {
    const record = disksOf(now)[id];
    if (record === undefined) throw new CpiError('CPX_DISK_NOT_FOUND', `${doing}: disk ${disk} does not exist`);
    return [replace(['extra', DISKS_KEY, id], { ...record, metadata })];
  });
}

/**
 * delete_disk: forgets the disk and queues its device for a wipe, so that no new disk shows its
 * data. The wipe is the node's cleaning: deferred while a VM runs on the node (it comes with the
 * VM's give-back), at once when the node has no VM and this was its last disk (the node is
 * undeployed or cleaned and goes back to the pool). A retry after a kill finishes that give-back;
 * a missing disk is success.
 */
export async function deleteDisk(ctx: IronicContext, call: CallContext, cid: NativeCid<'disk'>): Promise<void> {
  const doing = `Deleting disk ${cid}`;
  const parsed = parseDiskCid(cid);
  if (parsed === undefined) return;
  let node: Node;
  try {
    node = await patchLocked(ctx, parsed.node, doing, call.signal, (now) => {
      const disk = disksOf(now)[parsed.id];
      if (disk === undefined) return undefined;
      const vm = vmRecord(now);
      if (disk.attached_to !== null && disk.attached_to === vm?.cid)
        throw new CpiError('CPX_BACKEND_FAILURE', `${doing}: it is attached to VM ${disk.attached_to}; detach it first`);
      ctx.logger.info({ disk: cid, node: now.uuid, device: disk.device }, "deleting disk; its device waits for the node's next cleaning");
      const wipe = wipesOf(now).length === 0 ? add(['extra', WIPE_KEY], [disk.device]) : add(['extra', WIPE_KEY, '-'], disk.device);
      return [remove(['extra', DISKS_KEY, parsed.id]), wipe];
    });
  } catch (error) {
    if (isNotFound(error)) return;
    throw error;
  }
  if (vmRecord(node) === undefined) await giveBackDiskNode(ctx, parsed.node, doing, call.signal);
}
