import type { CallContext, NativeCid } from '@hybrid-cpi/core';
import type { IronicContext } from '../config.js';
import { releaseNode } from '../release.js';
import { findCidNode } from '../vm-node.js';

/**
 * delete_vm: gives the VM's node back (see releaseNode: a node that holds persistent disks is
 * parked for them instead). A VM that is already gone is success, as the director expects; a
 * delete_vm retried after a kill finishes the park or release the killed one began.
 */
export async function deleteVm(ctx: IronicContext, call: CallContext, cid: NativeCid): Promise<void> {
  const node = await findCidNode(ctx, cid, call.signal);
  if (node === undefined) return;
  await releaseNode(ctx, node, cid, call.signal);
}
