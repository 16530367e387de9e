import { randomUUID } from 'node:crypto';
import { CpiError } from '@hybrid-cpi/core';
import { deleteNode, getNode, patchNode, setProvisionState } from '../ironic/nodes.js';
import { isConflict, isNotFound } from '../ironic/errors.js';
import { add, remove, replace, type PatchOp } from '../ironic/patch.js';
import { DEPLOY_ABORT } from '../ironic/microversions.js';
import { isFailureState, isMoving, type ProvisionState } from '../ironic/states.js';
import type { Node } from '../ironic/types.js';
import { waitForProvisionState } from '../ironic/waiters.js';
import type { IronicContext } from '../config.js';
import { nodeWait } from './waits.js';
import { patchLocked } from './lock.js';
import { parkNode, parkOps } from './park.js';
import {
  DISKS_KEY,
  PARKED_KEY,
  GIVE_BACK_KEY,
  RESERVATION_KEY,
  WIPE_KEY,
  holdsDisks,
  parkedOf,
  giveBackOf,
  reservationOf,
  wipesOf,
  type GiveBack,
} from '../disks/records.js';
import { VM_KEY, carriesVm, vmRecord } from './vm-node.js';

const WAITING = 'waiting for the node';
/** States a node rests in between operations; anything else is still moving. */
const SETTLED: readonly ProvisionState[] = ['active', 'deploy failed', 'available', 'manageable'];
const DEPLOYED = ['active', 'deploy failed', 'error'];
/** Where an undeploy ends: `manageable` for a node quarantine retired (Ironic provides no retired node). */
const UNDEPLOYED: readonly ProvisionState[] = ['available', 'manageable'];

/**
 * delete_vm, and create_vm's roll-back: gives back the node of VM `cid`. A node that holds live
 * persistent disks is parked instead (see park.ts): still deployed and claimed, powered off. Any
 * other is given back: undeployed (cleaned when deleted disks wait for a wipe), cleared of what the
 * CPI wrote, and only then unclaimed. A deploy in progress is waited out first, one waiting for its
 * agent's call-back ended (endDeploy). Either way the decision and its first write are made under
 * the node's lock, and every later step is one a retry finds and finishes. Touches the node only
 * while it carries this VM, or holds the mark of this VM's park or give-back.
 */
export async function giveBackNode(ctx: IronicContext, found: Pick<Node, 'uuid'>, cid: string, signal: AbortSignal): Promise<void> {
  const nodeUuid = found.uuid;
  const doing = `Deleting VM ${cid} from node ${nodeUuid}`;
  for (;;) {
    const decided: { step?: Step } = {};
    const seen = await patchLocked(ctx, nodeUuid, doing, signal, (now) => {
      const { step, ops } = decide(now, cid);
      decided.step = step;
      return ops;
    });
    switch (decided.step) {
      case 'settle':
        // Ironic refuses changes while a deploy runs, and a deploy cannot be stopped: wait it out.
        await settle(ctx, nodeUuid, doing, signal);
        continue;
      case 'end':
        // One waiting for its agent's call-back, which may never come, is ended instead.
        await endDeploy(ctx, seen, doing, signal);
        continue;
      case 'park':
        return parkNode(ctx, nodeUuid, cid, signal);
      case 'give back':
        return finishGiveBack(ctx, nodeUuid, signal);
      case 'undeploy':
        await undeploy(ctx, nodeUuid, [], doing, signal);
        return;
      default:
        return;
    }
  }
}

type Step = 'settle' | 'end' | 'park' | 'give back' | 'undeploy' | undefined;

/** What giveBackNode does next to the node as it is now (read under its lock), and the write that starts it. */
function decide(now: Node, cid: string): { step: Step; ops?: PatchOp[] } {
  const mine = carriesVm(now, cid) || giveBackOf(now)?.vm === cid;
  if (mine && now.provision_state === 'wait call-back') return { step: 'end' };
  if (mine && isMoving(now)) return { step: 'settle' };
  if (parkedOf(now)?.vm === cid) return { step: 'park' };
  if (giveBackOf(now)?.vm === cid) return { step: 'give back' };
  if (!carriesVm(now, cid)) return { step: undefined };
  if (holdsDisks(now)) return { step: 'park', ops: parkOps(now, cid) };
  // Claimed by someone else since a teardown dropped the VM's claim (see endDeploy): theirs now.
  if (now.instance_uuid !== null && now.instance_uuid !== cid && now.instance_uuid !== reservationOf(now)?.uuid) return { step: undefined };
  if (wipesOf(now).length > 0 || vmRecord(now)?.enrolled) return { step: 'give back', ops: giveBackOps(now, cid) };
  // Nothing to wipe or delete after: the records go now, and Ironic's undeploy drops the claim (a
  // node never deployed loses it in this same write). A retry finds the node by its claim.
  const deployed = DEPLOYED.includes(now.provision_state);
  return { step: deployed ? 'undeploy' : undefined, ops: recordsOps(now, deployed) };
}

/**
 * Ends a deploy waiting in `wait call-back`: aborted where Ironic can (see abortDeploy), else torn
 * down from there, which drops the claim (the records go after, at the next decision). A node
 * that holds disks is never torn down (that would unclaim and clean it): without abort, its deploy
 * is waited out, until Ironic's own call-back timeout fails it.
 */
async function endDeploy(ctx: IronicContext, node: Node, doing: string, signal: AbortSignal): Promise<void> {
  const after = await abortDeploy(ctx, node, doing, signal);
  if (after.provision_state !== 'wait call-back') return;
  if (holdsDisks(node)) await settle(ctx, node.uuid, doing, signal);
  else await undeploy(ctx, node.uuid, [], doing, signal);
}

/**
 * Ends a deploy that waits for its agent: `abort` where Ironic allows it in `wait call-back` (API
 * 1.110: to `deploy failed`, without cleaning); on an older Ironic the node is returned as it is.
 */
export async function abortDeploy(ctx: IronicContext, node: Node, doing: string, signal: AbortSignal): Promise<Node> {
  if (!(await ctx.client.supports(DEPLOY_ABORT, { signal }))) return node;
  ctx.logger.info({ node: node.uuid }, 'aborting the deploy that waits for its call-back');
  await setProvisionState(ctx.client, node.uuid, { target: 'abort' }, { doing, signal, microversion: DEPLOY_ABORT });
  return waitForProvisionState(ctx.client, node.uuid, 'deploy failed', nodeWait(ctx, 'undeploy', { node: node.uuid }, doing, signal, WAITING));
}

/** Removes every BOSH record; with `keepClaim` false, the claim and instance_info too. */
function recordsOps(node: Node, keepClaim: boolean): PatchOp[] {
  const ops: PatchOp[] = [VM_KEY, PARKED_KEY, DISKS_KEY, WIPE_KEY, RESERVATION_KEY, GIVE_BACK_KEY]
    .filter((key) => node.extra?.[key] !== undefined)
    .map((key) => remove(['extra', key]));
  if (keepClaim) return ops;
  if (Object.keys(node.instance_info ?? {}).length > 0) ops.push(replace('/instance_info', {}));
  if (node.instance_uuid !== null) ops.push(remove('/instance_uuid'));
  return ops;
}

async function undeploy(ctx: IronicContext, nodeUuid: string, wipe: readonly string[], doing: string, signal: AbortSignal): Promise<Node> {
  ctx.logger.info({ node: nodeUuid, wipe }, wipe.length > 0 ? 'undeploying the node; its cleaning wipes the deleted disks' : 'undeploying the node');
  await setProvisionState(ctx.client, nodeUuid, { target: 'deleted' }, { doing, signal });
  // Undeploying drops the claim (and the allocation) and clears instance_info; extra stays.
  return waitForProvisionState(ctx.client, nodeUuid, UNDEPLOYED, nodeWait(ctx, 'undeploy', { node: nodeUuid }, doing, signal, WAITING));
}

/**
 * The last disk of a node without a VM is gone: give the node back (its wipe and return to the
 * pool), or finish a give-back a killed call began. Does nothing to a node that holds disks, runs a
 * VM, or is not held by a reservation of ours.
 */
export async function giveBackDiskNode(ctx: IronicContext, nodeUuid: string, doing: string, signal: AbortSignal): Promise<void> {
  const node = await patchLocked(ctx, nodeUuid, doing, signal, (now) => {
    if (giveBackOf(now) !== undefined || holdsDisks(now) || vmRecord(now) !== undefined) return undefined;
    const reservation = reservationOf(now);
    if (reservation === undefined || now.instance_uuid !== reservation.uuid) return undefined;
    return giveBackOps(now, null);
  });
  if (giveBackOf(node) !== undefined) await finishGiveBack(ctx, nodeUuid, signal);
}

/** The first write of a give-back: every BOSH record becomes one `bosh_release` mark. */
function giveBackOps(node: Node, cid: string | null): PatchOp[] {
  const wipe = wipesOf(node);
  const claim = node.instance_uuid ?? randomUUID();
  const mark: GiveBack = {
    claim,
    vm: cid,
    wipe,
    automated_clean: node.automated_clean ?? null,
    enrolled: vmRecord(node)?.enrolled ?? parkedOf(node)?.enrolled ?? false,
    provision_updated_at: node.provision_updated_at ?? null,
  };
  const ops: PatchOp[] = [add(['extra', GIVE_BACK_KEY], mark)];
  for (const key of [VM_KEY, PARKED_KEY, DISKS_KEY, WIPE_KEY]) if (node.extra?.[key] !== undefined) ops.push(remove(['extra', key]));
  // Cleaning is what wipes; force it for this once (`remove` answers 500 on Ironic 21: replace).
  if (wipe.length > 0 && node.automated_clean !== true) ops.push(replace('/automated_clean', true));
  // Someone dropped the claim by hand: the give-back claims the node again, so no one takes it mid-way.
  if (node.instance_uuid === null) ops.push(add('/instance_uuid', claim));
  return ops;
}

/**
 * Carries a give-back on from wherever it stands: waits out what Ironic is doing, undeploys a
 * deployed node (its cleaning wipes), cleans a claimed, undeployed one that has devices to wipe,
 * then clears the marks and drops the claim in one PATCH, and deletes a node the CPI enrolled.
 */
async function finishGiveBack(ctx: IronicContext, nodeUuid: string, signal: AbortSignal): Promise<void> {
  const doing = `Releasing node ${nodeUuid}`;
  const wait = (states: ProvisionState | readonly ProvisionState[]) =>
    waitForProvisionState(ctx.client, nodeUuid, states, nodeWait(ctx, 'undeploy', { node: nodeUuid }, doing, signal, WAITING));
  let node = await getNode(ctx.client, nodeUuid, { doing, signal });
  const mark = giveBackOf(node);
  if (mark === undefined) return;
  if (isMoving(node)) node = await settle(ctx, nodeUuid, doing, signal);
  if (isFailureState(node.provision_state) && !DEPLOYED.includes(node.provision_state)) {
    // The marks stay (and automated_clean forced on), so the wipe happens when the node is fixed.
    throw new CpiError(
      'CPX_BACKEND_FAILURE',
      `${doing}: the node is in '${node.provision_state}' (${node.last_error ?? 'no last_error'})` +
        `${mark.wipe.length > 0 ? `, so devices ${mark.wipe.join(', ')} may not be wiped yet` : ''}` +
        '; fix it, move it back with manage and provide (which cleans it), then retry',
    );
  }
  const ours = node.instance_uuid === mark.claim;
  if (ours && DEPLOYED.includes(node.provision_state)) {
    node = await undeploy(ctx, nodeUuid, mark.wipe, doing, signal);
  } else if (ours && mark.wipe.length > 0 && (node.provision_state === 'manageable' || node.provision_updated_at === mark.provision_updated_at)) {
    // Never deployed (a reservation), or already undeployed: manage and provide clean it.
    ctx.logger.info({ node: nodeUuid, wipe: mark.wipe }, 'cleaning the node to wipe the deleted disks');
    if (node.provision_state !== 'manageable') {
      await setProvisionState(ctx.client, nodeUuid, { target: 'manage' }, { doing, signal });
      await wait('manageable');
    }
    await setProvisionState(ctx.client, nodeUuid, { target: 'provide' }, { doing, signal });
    node = await wait('available');
  }
  if (!(await clearMarks(ctx, node, mark, doing, signal))) return;
  if (mark.enrolled) {
    await deleteNode(ctx.client, nodeUuid, { doing: `${doing}: deleting the node the CPI enrolled`, signal }).catch((error: unknown) => {
      // Gone already, or claimed by someone in the moment since the claim was dropped: theirs now.
      if (!isNotFound(error) && !isConflict(error)) throw error;
    });
  }
  ctx.logger.info({ node: nodeUuid }, 'node released');
}

/**
 * The last write: the marks go, `automated_clean` is what it was, and the claim is dropped, in
 * one PATCH made while the node is claimed by the give-back's claim, so no other writer can be
 * overwritten and a kill leaves either the marks with the claim or neither. When the undeploy
 * already dropped the claim, it is taken again first: Ironic sets an `instance_uuid` only where
 * none is, so a node someone else claimed in between is left to them (and false returned).
 */
async function clearMarks(ctx: IronicContext, node: Node, mark: GiveBack, doing: string, signal: AbortSignal): Promise<boolean> {
  if (node.instance_uuid === null) {
    try {
      node = await patchNode(ctx.client, node.uuid, [add('/instance_uuid', mark.claim)], { claim: true, doing, signal });
    } catch (error) {
      if (isConflict(error)) return leftToOthers(ctx, node);
      throw error;
    }
  }
  if (node.instance_uuid !== mark.claim) return leftToOthers(ctx, node);
  const ops = recordsOps(node, false);
  if (mark.wipe.length > 0 && node.automated_clean !== mark.automated_clean) ops.push(replace('/automated_clean', mark.automated_clean));
  await patchNode(ctx.client, node.uuid, ops, { doing, signal });
  return true;
}

function leftToOthers(ctx: IronicContext, node: Node): false {
  ctx.logger.warn({ node: node.uuid }, 'another claimant took the released node before the CPI cleared its marks; extra.bosh_release stays on it');
  return false;
}

/** Waits until Ironic is done with the node (a deploy, an undeploy, a cleaning). */
async function settle(ctx: IronicContext, nodeUuid: string, doing: string, signal: AbortSignal): Promise<Node> {
  ctx.logger.info({ node: nodeUuid }, 'waiting for what Ironic is doing on the node to end');
  return waitForProvisionState(ctx.client, nodeUuid, SETTLED, nodeWait(ctx, 'undeploy', { node: nodeUuid }, doing, signal, WAITING));
}
