import { CpiError, isCpiError, type CallContext, type CloudProperties, type CreateVmRequest, type CreatedVm } from '@hybrid-cpi/core';
import { buildIso } from '../config-drive/iso9660.js';
import { packConfigDrive } from '../config-drive/pack.js';
import { assignMacs, type NetworkSettings } from '../agent/networks.js';
import { agentSettings, type DiskHint } from '../agent/settings.js';
import { configDriveFiles } from '../agent/config-drive-files.js';
import { DEFAULTS, type IronicContext } from '../config.js';
import { isIronicHttpError } from '../ironic/errors.js';
import { getNode, patchNode, setProvisionState } from '../ironic/nodes.js';
import { add } from '../ironic/patch.js';
import { listPorts } from '../ironic/ports.js';
import type { Node, Port } from '../ironic/types.js';
import { isIronicWaitError, waitForProvisionState } from '../ironic/waiters.js';
import { releaseNode } from '../release.js';
import { deployRescheduled } from '../reschedule.js';
import { requirementsOf, type Requirements } from '../selection/requirements.js';
import { enrollNode, enrollParamsOf, knownMac } from '../enroll.js';
import { decodeStemcellCid, imageInstanceInfo, type StemcellImage } from '../stemcell-cid.js';
import { vmCidFor } from '../vm-cid.js';
import { deployTimeoutSeconds, nodeWait } from '../waits.js';
import { realClock } from '../ironic/backoff.js';
import { deployInSlot, newSlot } from '../placement/deploy-slots.js';
import { instanceGroupOf } from '../placement/instance-group.js';
import { VM_KEY, findVmNode, vmRecord, type VmRecord } from '../vm-node.js';

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
    return { cid, networks: networksFor(ctx, req, node, await portsOf(ctx, node.uuid, signal)) };
  }
  if (node !== undefined && node.provision_state !== 'available') {
    log.info({ node: node.uuid, state: node.provision_state }, 'giving back the node an earlier, failed try of this create_vm left');
    await releaseNode(ctx, node, cid, signal);
    node = undefined;
  }
  const obtained =
    node !== undefined ? { nodeUuid: node.uuid, enrolled: vmRecord(node)?.enrolled ?? false } : await obtainNode(ctx, req, cid, requirements, signal);
  if (obtained === undefined) {
    const group = instanceGroupOf(req.env);
    const request = { cid, agentId: req.agentId, requirements, signal, ...(group === undefined ? {} : { group }) };
    return deployRescheduled(
      ctx,
      request,
      (claimed, deadline) => deploy(ctx, call, req, cid, { ...claimed, enrolled: false }, image, deadline),
      creationFailed,
    );
  }
  const { nodeUuid, enrolled } = obtained;
  log.info({ node: nodeUuid, enrolled }, 'claimed node');
  try {
    return (await deploy(ctx, call, req, cid, { uuid: nodeUuid, enrolled }, image)).vm;
  } catch (error) {
    // The node changed under the failed deploy: release what it is now.
    const cleanup = new AbortController().signal;
    await (async () => releaseNode(ctx, await getNode(ctx.client, nodeUuid, { signal: cleanup }), cid, cleanup))().catch((cause: unknown) =>
      log.error({ node: nodeUuid, err: (cause as Error).message }, 'rolling back the claim failed; the node still carries the VM CID, delete_vm releases it'),
    );
    throw creationFailed(error, `Creating VM ${cid} for agent ${req.agentId} on node ${nodeUuid}`);
  }
}

/**
 * The node a VM must go to (a new one enrolled from `ironic_params` when Ironic knows none of its
 * MACs), or undefined: a free node that fits, chosen and rescheduled by deployRescheduled. (A VM
 * with disks goes to their node: see rebuild.ts.)
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
  const networks = networksFor(ctx, req, node, await portsOf(ctx, nodeUuid, signal));
  const configdrive = configDriveFor(ctx, req, cid, networks);
  const budget = deadline ?? realClock() + deployTimeoutSeconds(ctx) * 1000;
  await deployInSlot(ctx, { node, cid, slot, deadline: budget, signal }, (until) =>
    setProvisionState(ctx.client, nodeUuid, { target: 'active', configdrive }, { doing, signal, until }),
  );
  const started = Date.now();
  const active = await waitForProvisionState(
    ctx.client,
    nodeUuid,
    'active',
    nodeWait(ctx, 'deploy', { vm: cid, node: nodeUuid }, doing, signal, 'deploying', budget),
  );
  ctx.logger.info({ vm: cid, node: nodeUuid, elapsed_s: Math.round((Date.now() - started) / 1000) }, 'node is active');
  return { vm: { cid: cid as CreatedVm['cid'], networks }, node: active };
}

/** What the node's `extra.bosh_vm` says of the VM. */
export function vmRecordFor(req: CreateVmRequest, cid: string, enrolled: boolean): VmRecord {
  const group = instanceGroupOf(req.env);
  return {
    cid,
    agent_id: req.agentId,
    enrolled,
    devices: { system: systemDisk(req.cloudProperties), ephemeral: devicePath(ephemeralDisk(req.cloudProperties)) },
    ...(group === undefined ? {} : { group }),
  };
}

/** The node's `instance_info`: the stemcell image, and the root partition size when known. */
export function instanceInfoFor(req: CreateVmRequest, node: Pick<Node, 'properties'>, image: StemcellImage): Record<string, unknown> {
  const rootGb = Number(req.cloudProperties['root_gb'] ?? node.properties['local_gb'] ?? 0);
  return { ...imageInstanceInfo(image), ...(rootGb > 0 ? { root_gb: rootGb } : {}) };
}

/** The config drive: the agent's full settings (registry-less), packed as Ironic takes it. */
export function configDriveFor(ctx: IronicContext, req: CreateVmRequest, cid: string, networks: NetworkSettings): string {
  const settings = agentSettings({
    agentId: req.agentId,
    vmCid: cid,
    agent: ctx.agent,
    env: req.env,
    networks,
    disks: { system: systemDisk(req.cloudProperties), ephemeral: ephemeralDisk(req.cloudProperties), persistent: {} },
  });
  const files = configDriveFiles({
    vmCid: cid,
    hostname: cid,
    settings,
    networks,
    sshPublicKeys: ctx.config.ssh_public_keys ?? [],
    nameservers: ctx.config.nameservers ?? [],
  });
  return packConfigDrive(buildIso(files, { volumeId: 'config-2' }));
}

export function networksFor(
  ctx: IronicContext,
  req: CreateVmRequest,
  node: Pick<Node, 'uuid' | 'name'>,
  ports: readonly Pick<Port, 'address' | 'physical_network' | 'pxe_enabled'>[],
): NetworkSettings {
  const networks = assignMacs(req.networks, ports, node.name ?? node.uuid);
  const nameservers = ctx.config.nameservers ?? [];
  // The agent takes DNS from the network that is the DNS default; fill it from config if empty.
  for (const n of Object.values(networks)) {
    const isDnsDefault = ((n['default'] as string[] | undefined) ?? []).includes('dns') || Object.keys(networks).length === 1;
    if (isDnsDefault && nameservers.length > 0 && !Array.isArray(n['dns'])) n['dns'] = [...nameservers];
  }
  return networks;
}

export async function portsOf(ctx: IronicContext, nodeUuid: string, signal: AbortSignal) {
  const ports: Pick<Port, 'address' | 'physical_network' | 'pxe_enabled'>[] = [];
  for await (const page of listPorts(
    ctx.client,
    { node_uuid: nodeUuid, fields: ['address', 'physical_network', 'pxe_enabled'] },
    { doing: `Listing the ports of node ${nodeUuid}`, signal },
  ))
    ports.push(...page);
  return ports;
}

/** The agent's system disk (`system_disk`, default /dev/sda). */
export function systemDisk(props: CloudProperties): string {
  return String(props['system_disk'] ?? DEFAULTS.systemDisk);
}

/** The device a hint names, or null when it names none by path. */
export function devicePath(hint: DiskHint): string | null {
  if (hint === null || typeof hint === 'string') return hint;
  return typeof hint['path'] === 'string' ? hint['path'] : null;
}

/** The second disk unless cloud_properties name another device, or `null` for none. */
export function ephemeralDisk(props: CloudProperties): DiskHint {
  const hint = props['ephemeral_disk'];
  if (hint === undefined) return DEFAULTS.ephemeralDisk;
  return hint as DiskHint;
}

/** VMCreationFailed, retryable only when another try can do better. */
export function creationFailed(error: unknown, doing: string): CpiError {
  if (isCpiError(error) && error.code === 'CPX_VM_CREATION_FAILED') return error;
  const message = (error as Error)?.message ?? String(error);
  let retry = true;
  if (isIronicHttpError(error)) retry = error.status >= 500 || error.status === 409 || error.status === 503;
  else if (isIronicWaitError(error)) retry = error.reason !== 'aborted';
  else if (isCpiError(error)) retry = false;
  return new CpiError('CPX_VM_CREATION_FAILED', `${doing}: ${message}`, { cause: error, okToRetry: retry });
}
