import { randomUUID } from 'node:crypto';
import { getNode, setPowerState } from '../ironic/nodes.js';
import { add, remove, type PatchOp } from '../ironic/patch.js';
import type { Node } from '../ironic/types.js';
import { waitForPowerState } from '../ironic/waiters.js';
import type { IronicContext } from '../config.js';
import { nodeWait } from './waits.js';
import { DISKS_KEY, PARKED_KEY, RESERVATION_KEY, disksOf, reservationOf, type DiskRecord, type Parked, type Reservation } from '../disks/records.js';
import { VM_KEY, vmRecord } from './vm-node.js';

/**
 * The write that parks a node when its VM `cid` is deleted while it holds live persistent disks.
 * Instead of an undeploy (which would pass the node through `available`, unclaimed, and clean
 * it), the node stays deployed and claimed: the VM's record becomes a `bosh_parked` mark (so
 * `has_vm` turns false and the next create_vm of the disks' instance rebuilds it in place), its
 * disks are detached, and the claim is recorded as the disks' reservation if it was not yet (a
 * node whose disks were made next to its first VM is claimed by that VM's CID for good).
 */
export function parkOps(node: Node, cid: string): PatchOp[] {
  const record = vmRecord(node);
  const now = new Date().toISOString();
  const parked: Parked = {
    vm: cid,
    agent_id: record?.agent_id ?? 'unknown',
    instance: instanceName(record?.metadata),
    since: now,
    ...(record?.enrolled ? { enrolled: true } : {}),
  };
  const detached = Object.fromEntries(Object.entries(disksOf(node)).map(([id, d]) => [id, { ...d, attached_to: null } satisfies DiskRecord]));
  const ops: PatchOp[] = [add(['extra', PARKED_KEY], parked), add(['extra', DISKS_KEY], detached)];
  if (node.extra?.[VM_KEY] !== undefined) ops.push(remove(['extra', VM_KEY]));
  const claim = reservationOf(node)?.uuid ?? node.instance_uuid ?? randomUUID();
  if (reservationOf(node) === undefined) ops.push(add(['extra', RESERVATION_KEY], { uuid: claim, since: now } satisfies Reservation));
  // Someone dropped the claim by hand: the disks' node is claimed again before anything else.
  if (node.instance_uuid === null) ops.push(add('/instance_uuid', claim));
  return ops;
}

/**
 * After the mark: powers the node off, so the old system no longer runs on the disks. Idempotent,
 * so a delete_vm retried after a kill finishes here.
 */
export async function parkNode(ctx: IronicContext, nodeUuid: string, cid: string, signal: AbortSignal): Promise<void> {
  const doing = `Parking node ${nodeUuid} of VM ${cid} for its persistent disks`;
  const node = await getNode(ctx.client, nodeUuid, { doing, signal });
  if (node.power_state !== 'power off' || node.target_power_state) {
    ctx.logger.info({ node: nodeUuid, vm: cid }, 'powering the node off; it stays deployed and claimed for its disks');
    await setPowerState(ctx.client, nodeUuid, 'power off', { doing, signal });
    await waitForPowerState(ctx.client, nodeUuid, 'power off', nodeWait(ctx, 'undeploy', { node: nodeUuid, vm: cid }, doing, signal, 'powering off'));
  }
  ctx.logger.info({ node: nodeUuid, vm: cid, disks: Object.keys(disksOf(node)) }, 'node parked for its disks');
}

/** `cf router/0`, from the director's metadata (deployment, job or instance group, index). */
export function instanceName(metadata: Readonly<Record<string, unknown>> | undefined): string | null {
  if (metadata === undefined) return null;
  const text = (key: string) => (metadata[key] === undefined || metadata[key] === null || metadata[key] === '' ? undefined : String(metadata[key]));
  const job = text('job') ?? text('instance_group');
  const where = [text('deployment'), job === undefined ? undefined : `${job}/${text('index') ?? text('id') ?? '?'}`].filter((p) => p !== undefined);
  return where.length === 0 ? null : where.join(' ');
}
