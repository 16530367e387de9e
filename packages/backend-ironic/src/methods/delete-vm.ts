import type { CallContext, NativeCid } from '@hybrid-cpi/core';
import type { IronicContext } from '../config.js';
import { isNotFound } from '../ironic/errors.js';
import { giveBackNode } from '../node/give-back.js';
import { nodeOfCid } from '../node/vm-node.js';

/**
 * delete_vm: gives the VM's node back (see giveBackNode: a node that holds persistent disks is
 * parked for them instead). A VM that is already gone is success, as the director expects; a
 * delete_vm retried after a kill finishes the park or give-back the killed one began.
 */
export async function deleteVm(ctx: IronicContext, call: CallContext, cid: NativeCid<'vm'>): Promise<void> {
  const uuid = await nodeOfCid(ctx, cid, call.signal);
  if (uuid === undefined) return;
  await giveBackNode(ctx, { uuid }, cid, call.signal).catch((error: unknown) => {
    if (!isNotFound(error)) throw error;
  });
}
