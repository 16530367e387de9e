import type { CreateVmRequest } from '@hybrid-cpi/core';
import { devicePath, ephemeralDisk, systemDisk } from '../config-drive/agent-settings.js';
import { getNode, listNodes } from '../ironic/nodes.js';
import { isNotFound } from '../ironic/errors.js';
import type { Node } from '../ironic/types.js';
import type { IronicContext } from '../config.js';
import { holdsDisks, parkedOf, giveBackOf } from '../disks/records.js';
import { imageInstanceInfo, type StemcellImage } from '../stemcell/cid.js';
import { parseVmCid } from './vm-cid.js';
import type { DeploySlot } from '../placement/deploy-slots.js';
import { instanceGroupOf } from '../placement/instance-group.js';
import { inShard } from '../selection/shard.js';

/** `extra` key where the CPI records what it did to a node, so that it can undo exactly that. */
export const VM_KEY = 'bosh_vm';

/** What `extra.bosh_vm` holds while a BOSH VM owns the node. */
export interface VmRecord {
  readonly cid: string;
  readonly agent_id: string;
  /** The CPI enrolled this node for the VM, and deletes it with the VM. */
  readonly enrolled: boolean;
  /** The agent's system and ephemeral devices: never given to a persistent disk. */
  readonly devices?: { readonly system: string; readonly ephemeral: string | null };
  readonly metadata?: Readonly<Record<string, unknown>>;
  /**
   * A VM deployed in place on its disks' node: the node's `provision_updated_at` when the record
   * was written. The (re)deploy has started since once it differs.
   */
  readonly since?: string | null;
  /** The VM's instance group (`env.bosh.group`): one listing counts a group's instances per failure domain. */
  readonly group?: string;
  /** The failure domain the node was taken in: kept for an LLDP switch, which no listing shows. */
  readonly domain?: string;
  /** The provisioning throttle's mark while the create_vm waits for or holds a deploy slot (placement/deploy-slots.ts). */
  readonly deploy_slot?: DeploySlot;
}

export function vmRecord(node: Pick<Node, 'extra'>): VmRecord | undefined {
  const record = node.extra?.[VM_KEY];
  return typeof record === 'object' && record !== null ? (record as unknown as VmRecord) : undefined;
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

/**
 * Whether the node carries VM `cid` now: its record names it, or the node is claimed by the CID
 * of a create_vm that had not written its record yet (and holds nothing of BOSH besides).
 */
export function carriesVm(node: Pick<Node, 'extra' | 'instance_uuid'>, cid: string): boolean {
  const record = vmRecord(node);
  if (record !== undefined) return record.cid === cid;
  return node.instance_uuid === cid && !holdsDisks(node) && parkedOf(node) === undefined && giveBackOf(node) === undefined;
}

/**
 * The UUID of the node a VM CID names, whether or not the VM still lives on it: the node in a
 * `<node>.<vm>` CID (no request), else the node whose `instance_uuid` the CID is (one listing).
 * Undefined when no node is (deleted, never made, or a CID of something else).
 */
export async function nodeOfCid(ctx: IronicContext, cid: string, signal?: AbortSignal): Promise<string | undefined> {
  const parsed = parseVmCid(cid);
  if (parsed === undefined) return undefined;
  if (parsed.node !== undefined) return parsed.node;
  for await (const page of listNodes(
    ctx.client,
    { instance_uuid: cid, ...inShard(ctx.config), fields: ['uuid'] },
    { doing: `Finding the node of VM ${cid}`, ...(signal === undefined ? {} : { signal }) },
  )) {
    const [found] = page;
    if (found !== undefined) return found.uuid;
  }
  return undefined;
}

/** The node a VM CID names (see nodeOfCid), read in full. */
export async function findCidNode(ctx: IronicContext, cid: string, signal?: AbortSignal): Promise<Node | undefined> {
  const uuid = await nodeOfCid(ctx, cid, signal);
  if (uuid === undefined) return undefined;
  return getNode(ctx.client, uuid, { doing: `Reading node ${uuid} of VM ${cid}`, ...(signal === undefined ? {} : { signal }) }).catch((e: unknown) =>
    isNotFound(e) ? undefined : Promise.reject(e),
  );
}

/** The node that carries this VM now; undefined when none does (gone, parked, or not ours). */
export async function findVmNode(ctx: IronicContext, cid: string, signal?: AbortSignal): Promise<Node | undefined> {
  const node = await findCidNode(ctx, cid, signal);
  return node !== undefined && carriesVm(node, cid) ? node : undefined;
}
