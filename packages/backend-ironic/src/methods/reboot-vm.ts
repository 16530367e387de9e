import { CpiError, type CallContext, type NativeCid } from '@hybrid-cpi/core';
import type { IronicContext } from '../config.js';
import { setPowerState } from '../ironic/nodes.js';
import { findVmNode } from '../node/vm-node.js';

/** reboot_vm: a hard reboot through the BMC (the agent may be unresponsive: cck calls this). */
export async function rebootVm(ctx: IronicContext, call: CallContext, cid: NativeCid<'vm'>): Promise<void> {
  const node = await findVmNode(ctx, cid, call.signal);
  if (node === undefined) throw new CpiError('CPX_VM_NOT_FOUND', `Rebooting VM ${cid}: no Ironic node carries it`);
  await setPowerState(ctx.client, node.uuid, 'rebooting', { doing: `Rebooting node ${node.uuid} of VM ${cid}`, signal: call.signal });
}
