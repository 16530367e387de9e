import { randomUUID } from 'node:crypto';
import { CpiError, type CallContext, type CreateDiskRequest, type DiskHint, type Metadata, type NativeCid, nativeCid } from '@hybrid-cpi/core';
import { claimNode } from '../claim.js';
import { DEFAULTS, type IronicContext } from '../config.js';
import { agentPath, chooseDevice, creatingDisk, deviceHint, excludedDevices, nodeDevices } from '../disks/devices.js';
import { DISKS_KEY, RESERVATION_KEY, WIPE_KEY, disksOf, newDiskCid, parseDiskCid, requireDiskCid, wipesOf, type DiskRecord } from '../disks/records.js';
import { isNotFound } from '../ironic/errors.js';
import { getNode, patchNode } from '../ironic/nodes.js';
import { add, remove, replace } from '../ironic/patch.js';
import type { Node } from '../ironic/types.js';
import { unreserve } from '../release.js';
import { requirementsOf } from '../selection/requirements.js';
import { findVmNode, vmRecord, type VmRecord } from '../vm-node.js';

/**
 * create_disk: a local device of the node of `vm_cid`, recorded in the node's `extra`; the CID
 * names the node. Without a VM, a node is chosen as create_vm would choose one (from the
 * disk_type's cloud_properties) and reserved for the disk.
 */
export async function createDisk(ctx: IronicContext, call: CallContext, req: CreateDiskRequest): Promise<NativeCid<'disk'>> {
  const doing = creatingDisk(req.size, req.vmCid);
  const signal = call.signal;
  let node: Node;
  let reservation: string | undefined;
  let vmDevices: VmRecord['devices'];
  if (req.vmCid !== undefined) {
    const found = await findVmNode(ctx, req.vmCid, signal);
    if (found === undefined) throw new CpiError('CPX_VM_NOT_FOUND', `${doing}: no Ironic node carries VM ${req.vmCid}`);
    node = found;
    vmDevices = { system: vmRecord(node)?.devices?.system ?? DEFAULTS.systemDisk, ephemeral: vmRecord(node)?.devices?.ephemeral ?? null };
  } else {
    reservation = randomUUID();
    const uuid = await claimNode(ctx, {
      cid: reservation,
      agentId: 'none (a disk reservation)',
      requirements: requirementsOf(req.cloudProperties),
      signal,
      byInstanceUuid: true,
    });
    const claimed = await getNode(ctx.client, uuid, { doing, signal });
    node = await patchNode(ctx.client, uuid, [add(['extra', RESERVATION_KEY], { uuid: reservation, automated_clean: claimed.automated_clean })], {
      doing,
      signal,
    });
  }
  const excluded = excludedDevices(node, vmDevices);
  try {
    const device = chooseDevice(
      await nodeDevices(ctx, node, signal),
      excluded,
      deviceHint(req.cloudProperties),
      req.size,
      `${doing} on node ${node.name ?? node.uuid}`,
    );
    const { cid, id } = newDiskCid(node.uuid);
    const record: DiskRecord = { device: device.name, size_mb: req.size, hint: agentPath(device), attached_to: null, metadata: {} };
    const op = node.extra?.[DISKS_KEY] === undefined ? add(['extra', DISKS_KEY], { [id]: record }) : add(['extra', DISKS_KEY, id], record);
    await patchNode(ctx.client, node.uuid, [op], { doing, signal });
    ctx.logger.info({ disk: cid, node: node.uuid, device: device.name }, 'created disk');
    return cid;
  } catch (error) {
    if (reservation !== undefined)
      await unreserve(ctx, await getNode(ctx.client, node.uuid, { doing }), doing, new AbortController().signal).catch(() => undefined);
    throw error;
  }
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
    const record = disksOf(vmNode)[parsed.id];
    if (record === undefined) throw new CpiError('CPX_DISK_NOT_FOUND', `${doing}: disk ${disk} does not exist`);
    return { node: vmNode, id: parsed.id, disk: record };
  }
  const found = await requireDisk(ctx, disk, doing, signal);
  if (vmNode === undefined) throw new CpiError('CPX_VM_NOT_FOUND', `${doing}: no Ironic node carries VM ${vm}`);
  throw new CpiError(
    'CPX_BACKEND_FAILURE',
    `${doing}: the disk is a local disk of node ${found.node.name ?? found.node.uuid} but the VM runs on node ${vmNode.name ?? vmNode.uuid}; a VM ` +
      `gets its disks' node when create_vm names them in disk_cids`,
  );
}

export async function hasDisk(ctx: IronicContext, call: CallContext, cid: NativeCid<'disk'>): Promise<boolean> {
  return (await diskOn(ctx, cid, call.signal)) !== undefined;
}

/** attach_disk: the device hint the agent resolves (a stable by-id or by-path when known). Idempotent. */
export async function attachDisk(ctx: IronicContext, call: CallContext, vm: NativeCid<'vm'>, disk: NativeCid<'disk'>): Promise<DiskHint> {
  const doing = `Attaching disk ${disk} to VM ${vm}`;
  const { node, id, disk: record } = await vmAndDisk(ctx, vm, disk, doing, call.signal);
  if (record.attached_to !== null && record.attached_to !== vm)
    throw new CpiError('CPX_BACKEND_FAILURE', `${doing}: it is attached to VM ${record.attached_to}`);
  if (record.attached_to !== vm)
    await patchNode(ctx.client, node.uuid, [replace(['extra', DISKS_KEY, id], { ...record, attached_to: vm })], { doing, signal: call.signal });
  return { path: record.hint };
}

export async function detachDisk(ctx: IronicContext, call: CallContext, vm: NativeCid<'vm'>, disk: NativeCid<'disk'>): Promise<void> {
  const doing = `Detaching disk ${disk} from VM ${vm}`;
  const { node, id, disk: record } = await vmAndDisk(ctx, vm, disk, doing, call.signal);
  if (record.attached_to !== vm) throw new CpiError('CPX_DISK_NOT_ATTACHED', `${doing}: it is not attached to that VM`);
  await patchNode(ctx.client, node.uuid, [replace(['extra', DISKS_KEY, id], { ...record, attached_to: null })], { doing, signal: call.signal });
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
  const { node, id, disk: record } = await requireDisk(ctx, disk, doing, call.signal);
  await patchNode(ctx.client, node.uuid, [replace(['extra', DISKS_KEY, id], { ...record, metadata })], { doing, signal: call.signal });
}

/**
 * delete_disk: forgets the disk and queues its device for a wipe, so that no new disk shows its
 * data: the node's next cleaning does it, right away when the node holds nothing else, at the
 * release of the VM that runs on it otherwise. A missing disk is success.
 */
export async function deleteDisk(ctx: IronicContext, call: CallContext, cid: NativeCid<'disk'>): Promise<void> {
  const doing = `Deleting disk ${cid}`;
  const found = await diskOn(ctx, cid, call.signal);
  if (found === undefined) return;
  const { node, id, disk } = found;
  if (disk.attached_to !== null) throw new CpiError('CPX_BACKEND_FAILURE', `${doing}: it is attached to VM ${disk.attached_to}; detach it first`);
  const wipe = wipesOf(node).length === 0 ? add(['extra', WIPE_KEY], [disk.device]) : add(['extra', WIPE_KEY, '-'], disk.device);
  const updated = await patchNode(ctx.client, node.uuid, [remove(['extra', DISKS_KEY, id]), wipe], { doing, signal: call.signal });
  ctx.logger.info({ disk: cid, node: node.uuid, device: disk.device }, "deleted disk; its device waits for the node's next cleaning");
  if (vmRecord(updated) === undefined && Object.keys(disksOf(updated)).length === 0) await unreserve(ctx, updated, doing, call.signal);
}
