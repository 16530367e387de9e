import type { CallContext, CreateVmRequest, CreatedVm, Logger, NativeCid } from '@hybrid-cpi/core';
import { configDriveFor, networksOn } from '../config-drive/for-vm.js';
import type { IronicContext } from '../config.js';
import { isIronicConnectionError, isIronicHttpError } from '../ironic/errors.js';
import { getNode, patchNode, setProvisionState } from '../ironic/nodes.js';
import { add } from '../ironic/patch.js';
import type { Node } from '../ironic/types.js';
import { waitForProvisionState } from '../ironic/waiters.js';
import { giveBackNode } from '../node/give-back.js';
import { creationFailed, deployRescheduled } from '../node/reschedule.js';
import { requirementsOf, type Requirements } from '../selection/requirements.js';
import { enrollNode, enrollParamsOf, knownMac } from '../node/enroll.js';
import { decodeStemcellCid, type StemcellImage } from '../stemcell/cid.js';
import { vmCidFor } from '../node/vm-cid.js';
import { deployTimeoutSeconds, nodeWait } from '../node/waits.js';
import { deployInSlot, newSlot } from '../placement/deploy-slots.js';
import { instanceGroupOf } from '../placement/instance-group.js';
import { VM_KEY, findVmNode, instanceInfoFor, vmRecord, vmRecordFor, type VmRecord } from '../node/vm-node.js';

/**
 * create_vm: claim a node, write the image and the agent's config drive, deploy, wait for
 * `active`. A retried call (same agent_id) continues the node an earlier, interrupted try left;
 * any failure gives the node back as it was found and answers VMCreationFailed. A node taken from
 * the pool whose deploy fails is replaced by another (deployRescheduled).
 */
export async function createVm(ctx: IronicContext, call: CallContext, req: CreateVmRequest): Promise<CreatedVm> {
  const cid = vmCidFor(req.agentId);
  const image = decodeStemcellCid(req.stemcellCid);
  const requirements = requirementsOf(req.cloudProperties);
  const signal = call.signal;
  const log = ctx.logger.child({ vm: cid, agent_id: req.agentId });

  let start: Awaited<ReturnType<typeof resume>>;
  try {
    start = await resume(ctx, req, cid, requirements, signal, log);
  } catch (error) {
    // Ironic failing before this try has a node of its own: what an earlier try (or a half-done
    // enrollment) left, the director's retry continues or cleans up.
    throw isIronicHttpError(error) || isIronicConnectionError(error) ? creationFailed(error, `Creating VM ${cid} for agent ${req.agentId}`) : error;
  }
  if ('done' in start) return start.done;
  const obtained = start.node;
  if (obtained === undefined) {
    const group = instanceGroupOf(req.env);
    const request = { cid, agentId: req.agentId, requirements, signal, ...(group === undefined ? {} : { group }) };
    return deployRescheduled(ctx, request, (claimed, deadline) => deploy(ctx, call, req, cid, { ...claimed, enrolled: false }, image, deadline));
  }
  const { nodeUuid, enrolled } = obtained;
  log.info({ node: nodeUuid, enrolled }, 'claimed node');
  try {
    return (await deploy(ctx, call, req, cid, { uuid: nodeUuid, enrolled }, image)).vm;
  } catch (error) {
    // The node changed under the failed deploy: give back what it is now.
    const cleanup = new AbortController().signal;
    await (async () => giveBackNode(ctx, await getNode(ctx.client, nodeUuid, { signal: cleanup }), cid, cleanup))().catch((cause: unknown) =>
      log.error({ node: nodeUuid, err: (cause as Error).message }, 'rolling back the claim failed; the node still carries the VM CID, delete_vm releases it'),
    );
    throw creationFailed(error, `Creating VM ${cid} for agent ${req.agentId} on node ${nodeUuid}`);
  }
}

/**
 * Where this create_vm starts: the VM an earlier try of it deployed (`done`), the node an earlier
 * try claimed or a server just enrolled (`node`), or none (`node` undefined: one from the pool).
 * An earlier try's node that is neither available nor done is given back first.
 */
async function resume(
  ctx: IronicContext,
  req: CreateVmRequest,
  cid: NativeCid<'vm'>,
  requirements: Requirements,
  signal: AbortSignal,
  log: Logger,
): Promise<{ readonly done: CreatedVm } | { readonly node: { nodeUuid: string; enrolled: boolean } | undefined }> {
  let node = await findVmNode(ctx, cid, signal);
  if (node !== undefined && ['deploying', 'wait call-back'].includes(node.provision_state) && vmRecord(node)?.agent_id === req.agentId) {
    log.info({ node: node.uuid }, 'an earlier try of this create_vm is deploying the node: waiting for it');
    node = await waitForProvisionState(
      ctx.client,
      node.uuid,
      'active',
      nodeWait(ctx, 'deploy', { vm: cid, node: node.uuid }, `Waiting for the deploy of VM ${cid} an earlier try started`, signal, 'deploying'),
    ).catch(() => getNode(ctx.client, node!.uuid, { signal }));
  }
  if (node !== undefined && node.provision_state === 'active' && vmRecord(node)?.agent_id === req.agentId) {
    log.info({ node: node.uuid }, 'an earlier try of this create_vm already deployed the node');
    return { done: { cid, networks: await networksOn(ctx, req, node, signal) } };
  }
  if (node !== undefined && node.provision_state !== 'available') {
    log.info({ node: node.uuid, state: node.provision_state }, 'giving back the node an earlier, failed try of this create_vm left');
    await giveBackNode(ctx, node, cid, signal);
    node = undefined;
  }
  return {
    node: node !== undefined ? { nodeUuid: node.uuid, enrolled: vmRecord(node)?.enrolled ?? false } : await obtainNode(ctx, req, cid, requirements, signal),
  };
}

/**
 * The node a VM must go to (a new one enrolled from `ironic_params` when Ironic knows none of its
 * MACs), or undefined: a free node that fits, chosen and rescheduled by deployRescheduled. (A VM
 * with disks goes to their node: see node/rebuild.ts.)
 */
async function obtainNode(
  ctx: IronicContext,
  req: CreateVmRequest,
  cid: string,
  requirements: Requirements,
  signal: AbortSignal,
): Promise<{ nodeUuid: string; enrolled: boolean } | undefined> {
  const params = enrollParamsOf(req.cloudProperties);
  if (params !== undefined && requirements.macs !== undefined && !(await knownMac(ctx, requirements.macs, signal))) {
    return { nodeUuid: await enrollNode(ctx, params, requirements.macs, { cid, agentId: req.agentId }, signal), enrolled: true };
  }
  return undefined;
}

/**
 * Deploys the claimed node: its VM record (with the throttle's mark) and image, then, once the
 * conductor group has a deploy slot (placement/deploy-slots.ts), the deploy with the config drive.
 */
async function deploy(
  ctx: IronicContext,
  call: CallContext,
  req: CreateVmRequest,
  cid: string,
  target: { uuid: string; enrolled: boolean; domain?: string },
  image: StemcellImage,
  deadline?: number,
): Promise<{ vm: CreatedVm; node: Node }> {
  const signal = call.signal;
  const nodeUuid = target.uuid;
  const doing = `Deploying VM ${cid} on node ${nodeUuid}`;
  const node = await getNode(ctx.client, nodeUuid, { doing, signal });
  // A retry of this create_vm keeps the place in the queue its earlier try had.
  const earlier = vmRecord(node);
  const slot = newSlot(earlier?.cid === cid ? earlier.deploy_slot?.queued_at : undefined);
  const record: VmRecord = { ...vmRecordFor(req, cid, target.enrolled), ...(target.domain === undefined ? {} : { domain: target.domain }), deploy_slot: slot };
  await patchNode(ctx.client, nodeUuid, [add(['extra', VM_KEY], record), add('/instance_info', instanceInfoFor(req, node, image))], { doing, signal });
  const networks = await networksOn(ctx, req, node, signal);
  const configdrive = configDriveFor(ctx, req, cid, networks);
  const budget = deadline ?? ctx.clock() + deployTimeoutSeconds(ctx) * 1000;
  await deployInSlot(ctx, { node, cid, slot, deadline: budget, signal }, (until) =>
    setProvisionState(ctx.client, nodeUuid, { target: 'active', configdrive }, { doing, signal, until }),
  );
  const started = ctx.clock();
  const active = await waitForProvisionState(
    ctx.client,
    nodeUuid,
    'active',
    nodeWait(ctx, 'deploy', { vm: cid, node: nodeUuid }, doing, signal, 'deploying', budget),
  );
  ctx.logger.info({ vm: cid, node: nodeUuid, elapsed_s: Math.round((ctx.clock() - started) / 1000) }, 'node is active');
  return { vm: { cid: cid as CreatedVm['cid'], networks }, node: active };
}
