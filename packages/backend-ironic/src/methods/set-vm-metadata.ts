import { CpiError, type CallContext, type Metadata, type NativeCid } from '@hybrid-cpi/core';
import type { IronicContext } from '../config.js';
import { patchNode } from '../ironic/nodes.js';
import { replace } from '../ironic/patch.js';
import { VM_KEY, findVmNode, vmRecord } from '../vm-node.js';

/**
 * set_vm_metadata: the director's tags go into the node's `extra.bosh_vm.metadata`, where
 * `openstack baremetal node show` and `hybrid-cpi nodes` show them. Node names stay the
 * operator's: they are inventory names, unique in Ironic.
 */
export async function setVmMetadata(ctx: IronicContext, call: CallContext, cid: NativeCid, metadata: Metadata): Promise<void> {
  const node = await findVmNode(ctx, cid, call.signal);
  const record = node === undefined ? undefined : vmRecord(node);
  if (node === undefined || record === undefined) throw new CpiError('CPX_VM_NOT_FOUND', `Setting metadata of VM ${cid}: no Ironic node carries it`);
  await patchNode(ctx.client, node.uuid, [replace(['extra', VM_KEY], { ...record, metadata })], { doing: `Setting metadata of VM ${cid} on node ${node.uuid}`, signal: call.signal });
}
