import { randomUUID } from 'node:crypto';
import { deleteAllocation } from './ironic/allocations.js';
import { isConflict, isNotFound } from './ironic/errors.js';
import { DEPLOY_ABORT } from './ironic/microversions.js';
import { deleteNode, getNode, patchNode, setProvisionState } from './ironic/nodes.js';
import { add, remove, replace } from './ironic/patch.js';
import type { PatchOp } from './ironic/patch.js';
import type { ProvisionState } from './ironic/states.js';
import type { Node } from './ironic/types.js';
import { waitForProvisionState } from './ironic/waiters.js';
import type { IronicContext } from './config.js';
import { nodeWait } from './waits.js';
import { DISKS_KEY, RESERVATION_KEY, WIPE_KEY, disksOf, reservationOf, wipesOf, type DiskRecord } from './disks/records.js';
import { VM_KEY, vmRecord } from './vm-node.js';

/** States Ironic tears a node down from (`deleted`); `wait call-back` too, ending the deploy. */
const DEPLOYED = ['active', 'deploy failed', 'wait call-back'];
const WAITING = 'waiting for the node';
/** Where a teardown ends: `manageable` for a retired node. */
const RELEASED: ProvisionState[] = ['available', 'manageable'];

/**
 * Gives a node back after its VM: undeploys it if deployed (a deploy the conductor is working on
 * cannot be stopped, so it is waited out first; one waiting for its agent's call-back is ended at
 * once), clears what the CPI wrote, and only then drops the claim, so the node never returns to
 * the pool half cleaned. Cleaning wipes every local disk, so:
 * - a node that holds live persistent disks is undeployed without cleaning and stays reserved
 *   for them (its claim passes from the VM to the reservation);
 * - a node with deleted disks waiting for a wipe is cleaned, whatever its usual setting;
 * - a node the CPI enrolled is deleted once nothing of BOSH is left on it.
 * Touches the node only while it still carries this VM's CID; anything else is not ours.
 */
export async function releaseNode(ctx: IronicContext, found: Node, cid: string, signal: AbortSignal): Promise<void> {
  const nodeUuid = found.uuid;
  const doing = `Releasing node ${nodeUuid} of VM ${cid}`;
  let node = found;
  if (node.instance_uuid !== cid) return;
  const record = vmRecord(node);
  const keep = Object.keys(disksOf(node)).length > 0;
  const wipe = wipesOf(node).length > 0 && !keep;
  if (node.provision_state === 'deploying') {
    node = await waitForProvisionState(
      ctx.client,
      nodeUuid,
      ['active', 'deploy failed', 'wait call-back'],
      nodeWait(ctx, 'undeploy', { node: nodeUuid }, doing, signal, WAITING),
    ).catch(() => getNode(ctx.client, nodeUuid, { doing, signal }));
  }
  if (node.provision_state === 'wait call-back') node = await abortDeploy(ctx, node, doing, signal);
  let wiped = false;
  if (DEPLOYED.includes(node.provision_state)) {
    await withAutomatedClean(ctx, node, keep ? false : wipe ? true : null, doing, signal, async () => {
      await setProvisionState(ctx.client, nodeUuid, { target: 'deleted' }, { doing, signal });
      node = await waitForProvisionState(ctx.client, nodeUuid, RELEASED, nodeWait(ctx, 'undeploy', { node: nodeUuid }, doing, signal, WAITING));
    });
    wiped = wipe;
  }
  // Undeploying clears instance_uuid and instance_info and deletes the allocation; extra stays.
  const ops: PatchOp[] = [];
  if (Object.keys(node.instance_info ?? {}).length > 0) ops.push(replace('/instance_info', {}));
  if (node.extra?.[VM_KEY] !== undefined) ops.push(remove(['extra', VM_KEY]));
  if (wiped) ops.push(remove(['extra', WIPE_KEY]));
  if (!keep) for (const key of [DISKS_KEY, RESERVATION_KEY]) if (node.extra?.[key] !== undefined) ops.push(remove(['extra', key]));
  if (keep) {
    const detached = Object.fromEntries(Object.entries(disksOf(node)).map(([id, d]) => [id, { ...d, attached_to: null } satisfies DiskRecord]));
    ops.push(replace(['extra', DISKS_KEY], detached));
  }
  if (ops.length > 0) node = await patchNode(ctx.client, nodeUuid, ops, { doing, signal });
  if (keep) {
    await reserve(ctx, node, cid, doing, signal);
    return;
  }
  if (wipe && !wiped) node = await cleanNode(ctx, node, doing, signal);
  await dropClaim(ctx, node, cid, doing, signal);
  if (record?.enrolled) await deleteNode(ctx.client, nodeUuid, { doing: `${doing}: deleting the node the CPI enrolled`, signal }).catch(ignoreNotFound);
}

/**
 * Ends a deploy that waits for its agent: `abort` where Ironic allows it in `wait call-back` (API
 * 1.110: to `deploy failed`, without cleaning); an older Ironic tears it down from there instead.
 */
export async function abortDeploy(ctx: IronicContext, node: Node, doing: string, signal: AbortSignal): Promise<Node> {
  if (!(await ctx.client.supports(DEPLOY_ABORT, { signal }))) return node;
  await setProvisionState(ctx.client, node.uuid, { target: 'abort' }, { doing, signal, microversion: DEPLOY_ABORT });
  return waitForProvisionState(ctx.client, node.uuid, 'deploy failed', nodeWait(ctx, 'undeploy', { node: node.uuid }, doing, signal, WAITING));
}

/** Passes the node's claim from `from` (a VM CID, or none) to a disk reservation. */
export async function reserve(ctx: IronicContext, node: Node, from: string | undefined, doing: string, signal: AbortSignal): Promise<void> {
  const reservation = reservationOf(node) ?? { uuid: randomUUID(), automated_clean: node.automated_clean };
  if (reservationOf(node) === undefined) await patchNode(ctx.client, node.uuid, [add(['extra', RESERVATION_KEY], reservation)], { doing, signal });
  if (node.instance_uuid === reservation.uuid) return;
  if (from !== undefined && node.instance_uuid === from) await dropClaim(ctx, node, from, doing, signal);
  try {
    await patchNode(ctx.client, node.uuid, [add('/instance_uuid', reservation.uuid)], {
      claim: true,
      doing: `${doing}: keeping it reserved for its disks`,
      signal,
    });
  } catch (error) {
    if (!isConflict(error)) throw error;
    ctx.logger.error({ node: node.uuid }, 'another claimant took a node that holds BOSH persistent disks; reclaim it by hand');
    throw error;
  }
}

/** Drops a disk reservation once the node's last disk is gone: cleans it, then frees it. */
export async function unreserve(ctx: IronicContext, node: Node, doing: string, signal: AbortSignal): Promise<void> {
  const reservation = reservationOf(node);
  if (reservation === undefined || node.instance_uuid !== reservation.uuid) return;
  if (wipesOf(node).length > 0) node = await cleanNode(ctx, node, doing, signal);
  const ops: PatchOp[] = [remove(['extra', RESERVATION_KEY])];
  if (node.extra?.[DISKS_KEY] !== undefined) ops.push(remove(['extra', DISKS_KEY]));
  node = await patchNode(ctx.client, node.uuid, ops, { doing, signal });
  await dropClaim(ctx, node, reservation.uuid, doing, signal);
}

/**
 * Wipes the node's disks with Ironic's cleaning (manage, then provide: automated cleaning, which
 * erases the local disks), forced on for this once. The node keeps its claim meanwhile.
 */
async function cleanNode(ctx: IronicContext, node: Node, doing: string, signal: AbortSignal): Promise<Node> {
  let cleaned = node;
  await withAutomatedClean(ctx, node, true, doing, signal, async () => {
    ctx.logger.info({ node: node.uuid, devices: wipesOf(node) }, 'cleaning the node to wipe deleted persistent disks');
    await setProvisionState(ctx.client, node.uuid, { target: 'manage' }, { doing, signal });
    await waitForProvisionState(ctx.client, node.uuid, 'manageable', nodeWait(ctx, 'undeploy', { node: node.uuid }, doing, signal, WAITING));
    await setProvisionState(ctx.client, node.uuid, { target: 'provide' }, { doing, signal });
    await waitForProvisionState(ctx.client, node.uuid, 'available', nodeWait(ctx, 'undeploy', { node: node.uuid }, doing, signal, WAITING));
  });
  cleaned = await patchNode(ctx.client, node.uuid, [remove(['extra', WIPE_KEY])], { doing, signal });
  return cleaned;
}

/** Runs `fn` with the node's `automated_clean` set to `value` (null: leave it), restoring it after. */
async function withAutomatedClean(
  ctx: IronicContext,
  node: Node,
  value: boolean | null,
  doing: string,
  signal: AbortSignal,
  fn: () => Promise<void>,
): Promise<void> {
  const previous = node.automated_clean;
  const change = value !== null && value !== previous;
  // `remove /automated_clean` answers 500 on Ironic 21 (reference/ironic.md): always `replace`.
  if (change) await patchNode(ctx.client, node.uuid, [replace('/automated_clean', value)], { doing, signal });
  await fn();
  if (change) await patchNode(ctx.client, node.uuid, [replace('/automated_clean', previous)], { doing, signal });
}

async function dropClaim(ctx: IronicContext, node: Node, claim: string, doing: string, signal: AbortSignal): Promise<void> {
  if (node.instance_uuid !== claim) return;
  if (node.allocation_uuid) await deleteAllocation(ctx.client, node.allocation_uuid, { doing, signal }).catch(ignoreNotFound);
  else await patchNode(ctx.client, node.uuid, [remove('/instance_uuid')], { doing, signal }).catch(ignoreNotFound);
}

function ignoreNotFound(error: unknown): void {
  if (!isNotFound(error)) throw error;
}
