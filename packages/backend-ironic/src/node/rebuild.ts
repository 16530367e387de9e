import { randomUUID } from 'node:crypto';
import { CpiError, type CallContext, type CreateVmRequest, type CreatedVm, type NativeCid } from '@hybrid-cpi/core';
import type { IronicContext } from '../config.js';
import { disksOf, parkedOf, parseDiskCid, giveBackOf, requireDiskCid, reservationOf, PARKED_KEY, RESERVATION_KEY, type Reservation } from '../disks/records.js';
import { isNotFound } from '../ironic/errors.js';
import { getNode, setPowerState, setProvisionState } from '../ironic/nodes.js';
import { add, remove, type PatchOp } from '../ironic/patch.js';
import { isMoving } from '../ironic/states.js';
import type { Node } from '../ironic/types.js';
import { waitForPowerState, waitForProvisionState } from '../ironic/waiters.js';
import { configDriveFor, networksOn } from '../config-drive/for-vm.js';
import { patchLocked } from './lock.js';
import { parkNode, parkOps } from './park.js';
import { abortDeploy } from './give-back.js';
import { decodeStemcellCid } from '../stemcell/cid.js';
import { vmCidOnNode } from './vm-cid.js';
import { creationFailed } from './reschedule.js';
import { VM_KEY, instanceInfoFor, vmRecord, vmRecordFor, type VmRecord } from './vm-node.js';
import { deployTimeoutSeconds, nodeWait } from './waits.js';
import { waitForRoom } from '../placement/deploy-slots.js';

/**
 * create_vm with `disk_cids`: the VM goes onto the node that holds the disks, in place. A parked
 * node (deployed, powered off, see park.ts) is rebuilt with Ironic's `rebuild`, the new stemcell
 * image and a fresh config drive: no undeploy, no cleaning, and the node's claim never changes
 * hands. A node reserved by create_disk and never deployed is deployed the usual way, still under
 * the disks' claim. The VM's CID names the node (`<node>.<vm uuid>`).
 *
 * A retry with the same agent_id finds its own record and waits for, or finishes, the deploy it
 * started; a failure parks the node again and answers VMCreationFailed.
 */
export async function createVmOnDiskNode(ctx: IronicContext, call: CallContext, req: CreateVmRequest): Promise<CreatedVm> {
  const signal = call.signal;
  const nodeUuid = diskNodeOf(req);
  const cid = vmCidOnNode(nodeUuid, req.agentId);
  const doing = `Creating VM ${cid} for agent ${req.agentId} on node ${nodeUuid}, the node of disks ${req.diskCids.join(', ')}`;
  const fail = (why: string, okToRetry = false): never => {
    throw new CpiError('CPX_VM_CREATION_FAILED', `${doing}: ${why}`, { okToRetry });
  };
  const image = decodeStemcellCid(req.stemcellCid);
  let node: Node;
  for (;;) {
    // Under the lock, the node as it is: an earlier try of this create_vm may be deploying it, or
    // be done (then answer); else it is taken for this VM.
    let earlier: 'deploying' | 'done' | undefined;
    let left: VmRecord | undefined;
    node = await patchLocked(ctx, nodeUuid, doing, signal, (now) => {
      const record = vmRecord(now);
      if (record?.cid === cid && isMoving(now)) earlier = 'deploying';
      else if (record?.cid === cid && now.provision_state === 'active' && deployedSince(now)) earlier = 'done';
      else {
        left = record?.cid === cid ? undefined : record;
        return takeOps(now, req, cid, image, fail);
      }
      return undefined;
    }).catch((e: unknown) => (isNotFound(e) ? fail(`node ${nodeUuid} no longer exists`) : Promise.reject(e)));
    if (earlier === 'deploying') {
      // Waited for as any deploy (one stuck waiting for its call-back ends), then looked at again.
      const wait = nodeWait(ctx, 'deploy', { vm: cid, node: nodeUuid }, `Waiting for the deploy of VM ${cid} an earlier try started`, signal, 'deploying');
      await waitForProvisionState(ctx.client, nodeUuid, ['active', 'deploy failed'], wait).catch(async (error: unknown) => {
        await parkAgain(ctx, nodeUuid, cid, doing);
        throw creationFailed(error, doing);
      });
      continue;
    }
    if (earlier === 'done') {
      ctx.logger.info({ vm: cid, node: nodeUuid }, 'an earlier try of this create_vm already deployed the node');
      await powerOn(ctx, node, cid, doing, signal);
      return { cid, networks: await networksOn(ctx, req, node, signal) };
    }
    if (left !== undefined)
      ctx.logger.warn(
        { vm: cid, node: nodeUuid, left: left.cid, left_agent: left.agent_id },
        'took the place of a VM that a create_vm killed before it answered left on the node',
      );
    break;
  }
  try {
    return await redeploy(ctx, req, cid, node, signal);
  } catch (error) {
    await parkAgain(ctx, nodeUuid, cid, doing);
    throw creationFailed(error, doing);
  }
}

/**
 * After a failed (re)deploy the disks' node stays theirs: parked again, ready for the next try. A
 * deploy left waiting for its call-back is aborted first where Ironic can (see abortDeploy); one
 * still running is left to the delete_vm or create_vm that finds it settled.
 */
async function parkAgain(ctx: IronicContext, nodeUuid: string, cid: string, doing: string): Promise<void> {
  const cleanup = new AbortController().signal;
  try {
    const node = await getNode(ctx.client, nodeUuid, { doing, signal: cleanup });
    if (node.provision_state === 'wait call-back') await abortDeploy(ctx, node, doing, cleanup);
    await patchLocked(ctx, nodeUuid, doing, cleanup, (now) => (vmRecord(now)?.cid === cid ? parkOps(now, cid) : undefined));
    await parkNode(ctx, nodeUuid, cid, cleanup);
  } catch (cause) {
    ctx.logger.error({ node: nodeUuid, vm: cid, err: (cause as Error).message }, 'parking the node again failed; delete_vm of the VM parks it');
  }
}

/** The one node all the disks live on. */
function diskNodeOf(req: CreateVmRequest): string {
  const doing = `Creating a VM for agent ${req.agentId} with disks ${req.diskCids.join(', ')}`;
  const nodes = new Set(req.diskCids.map((d) => requireDiskCid(d, doing).node));
  if (nodes.size > 1)
    throw new CpiError(
      'CPX_VM_CREATION_FAILED',
      `${doing}: the disks live on different nodes (${[...nodes].join(', ')}); local disks cannot be joined on one server`,
    );
  return [...nodes][0]!;
}

/**
 * The write that gives the node to the new VM, checked on the node as it is under the lock: its
 * record (with the `provision_updated_at` it had, to know later whether the deploy started) and
 * the new image, in place of the park mark.
 */
function takeOps(
  node: Node,
  req: CreateVmRequest,
  cid: string,
  image: ReturnType<typeof decodeStemcellCid>,
  fail: (why: string, okToRetry?: boolean) => never,
): PatchOp[] {
  const name = node.name ? `${node.name} (${node.uuid})` : node.uuid;
  for (const disk of req.diskCids) if (disksOf(node)[parseDiskCid(disk)!.id] === undefined) fail(`node ${name} holds no disk ${disk}`);
  if (node.maintenance)
    fail(
      `node ${name} is in maintenance (${node.maintenance_reason ?? 'no reason given'}); the disks' data is only there: take it out of maintenance, then retry`,
    );
  if (node.fault) fail(`node ${name} has a fault: ${node.fault}`);
  if (giveBackOf(node) !== undefined) fail(`node ${name} is being released`);
  const reservation = reservationOf(node);
  const other = vmRecord(node);
  const claim = reservation?.uuid ?? other?.cid;
  if (node.instance_uuid !== null && node.instance_uuid !== claim) fail(`node ${name} is claimed by instance ${node.instance_uuid}, not by its disks`);
  // One VM per node. A VM the director set metadata on is one it knows: it must go first. One
  // without is what a create_vm killed before it answered left; the director never learned its
  // CID, and this create_vm takes its place.
  if (other !== undefined && other.cid !== cid && other.metadata !== undefined) {
    fail(
      `node ${name} runs VM ${other.cid} (agent ${other.agent_id}); a node runs one VM: ` +
        `delete that VM first (bosh delete-vm ${other.cid}), which parks the node for its disks`,
    );
  }
  if (isMoving(node)) fail(`node ${name} is busy ("${node.provision_state}", target "${node.target_provision_state}")`, true);
  if (!['active', 'deploy failed', 'error', 'available'].includes(node.provision_state))
    fail(`node ${name} is in provision state '${node.provision_state}', from which it cannot be deployed`);
  const record: VmRecord = { ...vmRecordFor(req, cid, other?.enrolled ?? parkedOf(node)?.enrolled ?? false), since: node.provision_updated_at ?? null };
  const ops: PatchOp[] = [add(['extra', VM_KEY], record), add('/instance_info', instanceInfoFor(req, node, image))];
  if (parkedOf(node) !== undefined) ops.push(remove(['extra', PARKED_KEY]));
  const held = claim ?? node.instance_uuid ?? randomUUID();
  if (reservation === undefined) ops.push(add(['extra', RESERVATION_KEY], { uuid: held, since: new Date().toISOString() } satisfies Reservation));
  // Someone dropped the claim by hand: claimed again in the same write.
  if (node.instance_uuid === null) ops.push(add('/instance_uuid', held));
  return ops;
}

/** Rebuilds (or, never deployed, deploys) the node with the VM's image and config drive. */
async function redeploy(ctx: IronicContext, req: CreateVmRequest, cid: NativeCid<'vm'>, node: Node, signal: AbortSignal): Promise<CreatedVm> {
  const nodeUuid = node.uuid;
  const verb = node.provision_state === 'available' ? 'active' : 'rebuild';
  const doing = `${verb === 'rebuild' ? 'Rebuilding' : 'Deploying'} VM ${cid} on node ${nodeUuid}`;
  const networks = await networksOn(ctx, req, node, signal);
  const configdrive = configDriveFor(ctx, req, cid, networks);
  // The node's claim is the disks', so it takes no deploy slot mark: it only waits for room.
  await waitForRoom(ctx, { node, cid, deadline: ctx.clock() + deployTimeoutSeconds(ctx) * 1000, signal });
  ctx.logger.info(
    { vm: cid, node: nodeUuid, stemcell: req.stemcellCid, verb },
    verb === 'rebuild' ? 'rebuilding the node in place with the new stemcell and config drive' : 'deploying the node reserved for the disks',
  );
  await setProvisionState(ctx.client, nodeUuid, { target: verb, configdrive }, { doing, signal });
  const started = ctx.clock();
  const active = await waitForProvisionState(
    ctx.client,
    nodeUuid,
    'active',
    nodeWait(ctx, 'deploy', { vm: cid, node: nodeUuid }, doing, signal, verb === 'rebuild' ? 'rebuilding' : 'deploying'),
  );
  ctx.logger.info({ vm: cid, node: nodeUuid, elapsed_s: Math.round((ctx.clock() - started) / 1000) }, 'node is active');
  await powerOn(ctx, active, cid, doing, signal);
  return { cid, networks };
}

/** A parked node was powered off; a deploy normally ends powered on, but make sure. */
async function powerOn(ctx: IronicContext, node: Node, cid: string, doing: string, signal: AbortSignal): Promise<void> {
  if (node.power_state === 'power on' && !node.target_power_state) return;
  ctx.logger.info({ vm: cid, node: node.uuid }, 'powering the node on');
  await setPowerState(ctx.client, node.uuid, 'power on', { doing, signal });
  await waitForPowerState(ctx.client, node.uuid, 'power on', nodeWait(ctx, 'deploy', { vm: cid, node: node.uuid }, doing, signal, 'powering on'));
}

/** Whether the node went through a (re)deploy since its VM record was written. */
function deployedSince(node: Node): boolean {
  const since = vmRecord(node)?.since;
  return since !== undefined && node.provision_updated_at !== since;
}
