import type { CallContext, NativeCid } from '@hybrid-cpi/core';
import type { IronicContext } from '../config.js';
import { releaseNode } from '../release.js';
import { findVmNode } from '../vm-node.js';

/** delete_vm: undeploy and give the node back as it was found; a missing VM is success. */
export async function deleteVm(ctx: IronicContext, call: CallContext, cid: NativeCid<'vm'>): Promise<void> {
  const node = await findVmNode(ctx, cid, call.signal);
  if (node === undefined) {
    ctx.logger.info({ vm: cid }, 'no node carries this VM: nothing to delete');
    return;
  }
  await releaseNode(ctx, node, cid, call.signal);
  ctx.logger.info({ vm: cid, node: node.uuid }, 'node released');
}
