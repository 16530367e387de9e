import { deleteAllocation } from './ironic/allocations.js';
import { isNotFound } from './ironic/errors.js';
import { deleteNode, getNode, patchNode, setProvisionState } from './ironic/nodes.js';
import { remove, replace } from './ironic/patch.js';
import type { PatchOp } from './ironic/patch.js';
import { waitForProvisionState } from './ironic/waiters.js';
import { DEFAULTS, type IronicContext } from './config.js';
import { VM_KEY, vmRecord } from './vm-node.js';

const DEPLOYED = ['active', 'deploy failed'];
const IN_FLIGHT = ['deploying', 'wait call-back'];

/**
 * Gives a node back: undeploys it if it holds a VM (a deploy in flight cannot be stopped, so it is
 * waited out first), clears what the CPI wrote, and only then drops the claim, so the node never
 * returns to the pool half cleaned. A node the CPI enrolled is deleted. Touches the node only
 * while it still carries this VM's CID; anything else is not ours.
 */
export async function releaseNode(ctx: IronicContext, nodeUuid: string, cid: string, signal: AbortSignal): Promise<void> {
  const doing = `Releasing node ${nodeUuid} of VM ${cid}`;
  const timeoutMs = (ctx.config.undeploy_timeout_seconds ?? DEFAULTS.undeployTimeoutSeconds) * 1000;
  const progress = (p: { state: string; elapsedMs: number }) => ctx.logger.info({ node: nodeUuid, vm: cid, state: p.state, elapsed_s: Math.round(p.elapsedMs / 1000) }, 'waiting for the node');
  let node = await getNode(ctx.client, nodeUuid, { doing, signal });
  if (node.instance_uuid !== cid) return;
  const record = vmRecord(node);
  if (IN_FLIGHT.includes(node.provision_state)) {
    node = await waitForProvisionState(ctx.client, nodeUuid, ['active', 'deploy failed'], { timeoutMs, signal, doing, onProgress: progress }).catch(() => getNode(ctx.client, nodeUuid, { doing, signal }));
  }
  if (DEPLOYED.includes(node.provision_state)) {
    await setProvisionState(ctx.client, nodeUuid, { target: 'deleted' }, { doing, signal });
    node = await waitForProvisionState(ctx.client, nodeUuid, 'available', { timeoutMs, signal, doing, onProgress: progress });
  }
  // Undeploying clears instance_uuid and instance_info and deletes the allocation; extra stays.
  const ops: PatchOp[] = [];
  if (Object.keys(node.instance_info ?? {}).length > 0) ops.push(replace('/instance_info', {}));
  if (node.extra?.[VM_KEY] !== undefined) ops.push(remove(['extra', VM_KEY]));
  if (ops.length > 0) await patchNode(ctx.client, nodeUuid, ops, { doing, signal });
  if (node.instance_uuid === cid) {
    if (node.allocation_uuid) await deleteAllocation(ctx.client, node.allocation_uuid, { doing, signal }).catch(ignoreNotFound);
    else await patchNode(ctx.client, nodeUuid, [remove('/instance_uuid')], { doing, signal }).catch(ignoreNotFound);
  }
  if (record?.enrolled) await deleteNode(ctx.client, nodeUuid, { doing: `${doing}: deleting the node the CPI enrolled`, signal }).catch(ignoreNotFound);
}

function ignoreNotFound(error: unknown): void {
  if (!isNotFound(error)) throw error;
}
