import type { CallContext, NativeCid } from '@hybrid-cpi/core';
import type { IronicContext } from '../config.js';
import { findVmNode } from '../node/vm-node.js';

/** has_vm: whether a node still carries this VM's CID (false for unknown, foreign or recycled CIDs). */
export async function hasVm(ctx: IronicContext, call: CallContext, cid: NativeCid<'vm'>): Promise<boolean> {
  return (await findVmNode(ctx, cid, call.signal)) !== undefined;
}
