import { disksOf, parkedOf, giveBackOf, reservationOf } from '../disks/records.js';
import { describeFailures, failuresOf, quarantineOf } from '../quarantine/records.js';
import { vmRecord } from '../node/vm-node.js';
import type { PoolNode } from './pool.js';

/** What a node is to BOSH, from the fields the CPI writes (`extra.bosh_*`, `instance_uuid`). */
export type NodeUse = 'free' | 'vm' | 'parked' | 'quarantined' | 'foreign' | 'unavailable';

export interface NodeDisk {
  /** The native disk CID (`<node uuid>.<disk id>`). */
  readonly cid: string;
  readonly device: string;
  readonly size_mb: number;
  readonly attached_to: string | null;
}

export interface NodeStatus {
  readonly uuid: string;
  readonly name: string | null;
  readonly provision_state: string;
  readonly power_state: string | null;
  readonly use: NodeUse;
  /** Why it is quarantined, foreign or unavailable (since when, for a quarantine of the CPI); failed deploys on record; hardware health Warning. */
  readonly reason: string | null;
  /** The node was enrolled by the CPI for its VM, and is deleted with it. */
  readonly enrolled: boolean;
  /** The BOSH VM on the node: its native CID, agent and the director's metadata. */
  readonly vm: {
    readonly cid: string;
    readonly agent_id: string;
    readonly deployment: string | null;
    readonly job: string | null;
    readonly index: string | null;
  } | null;
  readonly disks: readonly NodeDisk[];
  /** A node kept for its disks without a VM: since when, and the instance and VM it last ran. */
  readonly parked: { readonly since: string | null; readonly instance: string | null; readonly vm: string | null } | null;
}

const FAILED = /(failed|error)$/;

/**
 * Classifies a node. Quarantine comes first: a node retired (by the CPI after failed deploys, or by
 * anyone), in maintenance, with a fault, a power state of `error`, `Critical` hardware health or
 * in a failed state is unusable whatever else it carries, and that is what an operator must act on.
 */
export function nodeStatus(node: PoolNode): NodeStatus {
  const record = vmRecord(node);
  const reservation = reservationOf(node);
  // A VM is ours while the node is claimed by its CID, or (rebuilt in place) by its disks.
  const reserved = reservation !== undefined && node.instance_uuid === reservation.uuid;
  const ownVm = record !== undefined && (node.instance_uuid === record.cid || reserved);
  const metadata = record?.metadata ?? {};
  const text = (key: string) => (metadata[key] === undefined || metadata[key] === null ? null : String(metadata[key]));
  const disks = Object.entries(disksOf(node)).map(([id, d]) => ({
    cid: `${node.uuid}.${id}`,
    device: d.device,
    size_mb: d.size_mb,
    attached_to: d.attached_to,
  }));
  const parked = parkedOf(node);
  const held =
    reserved && record === undefined ? { since: parked?.since ?? reservation.since ?? null, instance: parked?.instance ?? null, vm: parked?.vm ?? null } : null;
  const [use, reason] = classify(node, ownVm, held);
  return {
    uuid: node.uuid,
    name: node.name ?? null,
    provision_state: node.provision_state ?? 'unknown',
    power_state: node.power_state ?? null,
    use,
    reason,
    enrolled: record?.enrolled ?? false,
    vm: record === undefined ? null : { cid: record.cid, agent_id: record.agent_id, deployment: text('deployment'), job: text('job'), index: text('index') },
    disks,
    parked: held,
  };
}

function classify(node: PoolNode, ownVm: boolean, held: NodeStatus['parked']): [NodeUse, string | null] {
  const ours = quarantineOf(node);
  if (node.retired) return ['quarantined', ours === undefined ? `retired: ${node.retired_reason ?? 'no reason given'}` : `retired, ${ours}`];
  if (node.maintenance) return ['quarantined', ours === undefined ? `maintenance: ${node.maintenance_reason ?? 'no reason given'}` : `maintenance, ${ours}`];
  if (node.fault) return ['quarantined', `fault: ${node.fault}`];
  if (node.power_state === 'error') return ['quarantined', "power state 'error'"];
  if (node.health === 'Critical') return ['quarantined', 'hardware health Critical'];
  if (FAILED.test(node.provision_state ?? '')) return ['quarantined', `${node.provision_state}: ${node.last_error ?? 'no last_error'}`];
  if (ownVm) return ['vm', null];
  if (giveBackOf(node) !== undefined)
    return ['unavailable', `being released by the CPI (provision state '${node.provision_state}'); a retry of the delete_vm or delete_disk finishes it`];
  if (held !== null) return ['parked', parkedNote(held)];
  if (node.instance_uuid) return ['foreign', `claimed by instance ${node.instance_uuid}, not by a BOSH VM of this CPI`];
  if (node.provision_state !== 'available') return ['unavailable', `provision state '${node.provision_state}'`];
  if (node.power_state === null) return ['unavailable', 'power state unknown: Ironic has not read it from the BMC yet'];
  const notes = [
    node.health === 'Warning' ? 'hardware health Warning: taken last' : undefined,
    failuresOf(node) === undefined ? undefined : describeFailures(failuresOf(node)!),
  ];
  return ['free', notes.filter((n) => n !== undefined).join('; ') || null];
}

/** "waits for cf db/0 (last VM …) since …", or what a node reserved by create_disk and never deployed waits for. */
function parkedNote(held: NonNullable<NodeStatus['parked']>): string {
  const since = held.since === null ? '' : ` since ${held.since.replace(/\.\d+Z$/, 'Z')}`;
  if (held.vm === null) return `reserved for its disks${since}, no VM yet`;
  return `waits for ${held.instance ?? 'its instance'} (last VM ${held.vm})${since}`;
}
