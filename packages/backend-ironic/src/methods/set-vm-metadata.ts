import { CpiError, type CallContext, type Metadata, type NativeCid } from '@hybrid-cpi/core';
import type { IronicContext } from '../config.js';
import { isConflict } from '../ironic/errors.js';
import { patchNode } from '../ironic/nodes.js';
import { replace } from '../ironic/patch.js';
import { patchLocked } from '../node/lock.js';
import { VM_KEY, findVmNode, vmRecord, type VmRecord } from '../node/vm-node.js';

/**
 * set_vm_metadata: the director's tags go into the node's `extra.bosh_vm.metadata`, where
 * `openstack baremetal node show` shows them. A node the CPI enrolled also gets a name from them
 * (`<deployment>-<job>-<index>`); an operator's node keeps its inventory name.
 */
export async function setVmMetadata(ctx: IronicContext, call: CallContext, cid: NativeCid<'vm'>, metadata: Metadata): Promise<void> {
  const missing = () => new CpiError('CPX_VM_NOT_FOUND', `Setting metadata of VM ${cid}: no Ironic node carries it`);
  const node = await findVmNode(ctx, cid, call.signal);
  if (node === undefined || vmRecord(node) === undefined) throw missing();
  const doing = `Setting metadata of VM ${cid} on node ${node.uuid}`;
  let record: VmRecord | undefined;
  // Under the node's lock: a disk record written at the same time is not lost.
  await patchLocked(ctx, node.uuid, doing, call.signal, (now) => {
    record = vmRecord(now);
    if (record?.cid !== cid) throw missing();
    return [replace(['extra', VM_KEY], { ...record, metadata })];
  });
  const name = record!.enrolled ? nodeName(metadata) : undefined;
  if (name === undefined || name === node.name) return;
  try {
    await patchNode(ctx.client, node.uuid, [replace('/name', name)], { doing: `${doing}: naming it ${name}`, signal: call.signal });
  } catch (error) {
    // Names are unique in Ironic; another node may have it (an earlier VM of the same instance).
    if (!isConflict(error)) throw error;
    await patchNode(ctx.client, node.uuid, [replace('/name', `${name}-${cid.slice(0, 8)}`)], { doing, signal: call.signal });
  }
}

/** Ironic node names are hostname-like: letters, digits, `-._~`. */
function nodeName(metadata: Metadata): string | undefined {
  const parts = ['deployment', 'job', 'index'].map((k) => metadata[k]).filter((v) => v !== undefined && v !== '');
  if (parts.length === 0) return undefined;
  return (
    parts
      .join('-')
      .toLowerCase()
      .replace(/[^a-z0-9._~-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 63) || undefined
  );
}
