import { randomBytes } from 'node:crypto';
import { CpiError, nativeCid, type NativeCid } from '@hybrid-cpi/core';

/** Anything with a node's `extra`: a full node, or one listed with a few fields. */
export interface WithExtra {
  readonly extra?: Readonly<Record<string, unknown>>;
}

/** `extra` keys of the disk bookkeeping on a node. */
export const DISKS_KEY = 'bosh_disks';
export const RESERVATION_KEY = 'bosh_reservation';
export const WIPE_KEY = 'bosh_wipe';
export const PARKED_KEY = 'bosh_parked';
/** The mark of a node being given back (its key says `release`, as nodes in service carry it). */
export const GIVE_BACK_KEY = 'bosh_release';

/** One persistent disk: a local device of the node. */
export interface DiskRecord {
  readonly device: string;
  readonly size_mb: number;
  /** The stable path the agent gets (by-id or by-path when known). */
  readonly hint: string;
  readonly attached_to: string | null;
  readonly metadata: Readonly<Record<string, unknown>>;
}

/**
 * The claim that keeps a node for its disks: its `instance_uuid` from the first disk to the last
 * (the VM's CID when the disk was made next to a VM, else a new UUID), written with the first
 * disk. Never removed while a disk lives, so no allocation or other claimant can take the node.
 */
export interface Reservation {
  readonly uuid: string;
  /** When the first disk was made (absent on records of older releases). */
  readonly since?: string;
}

/**
 * A node whose VM was deleted while it holds disks: still deployed, powered off, still claimed,
 * waiting for the next create_vm of the disks' instance, which rebuilds it in place.
 */
export interface Parked {
  /** The deleted VM and its agent. */
  readonly vm: string;
  readonly agent_id: string;
  /** The director's name of the instance (`deployment job/index`), when it set metadata. */
  readonly instance: string | null;
  readonly since: string;
  /** The CPI enrolled the node for its first VM: deleted once its last disk is. */
  readonly enrolled?: boolean;
}

/**
 * A node the CPI is giving back, its VM and disks gone: written before the undeploy or cleaning
 * starts, so that a retry after a kill finishes what the killed call began.
 */
export interface GiveBack {
  /** The claim to drop: the node's `instance_uuid` when the give-back began. */
  readonly claim: string;
  /** The VM being deleted, if any: a retried delete_vm knows its node by it. */
  readonly vm: string | null;
  /** Devices of deleted disks: the node is cleaned, whatever its `automated_clean` says. */
  readonly wipe: readonly string[];
  /** The node's `automated_clean` before the give-back forced it on; put back at the end. */
  readonly automated_clean: boolean | null;
  /** The CPI enrolled the node for its VM: deleted at the end. */
  readonly enrolled: boolean;
  /** `provision_updated_at` when the give-back began: whether the cleaning has run since. */
  readonly provision_updated_at: string | null;
}

export function disksOf(node: WithExtra): Record<string, DiskRecord> {
  return (node.extra?.[DISKS_KEY] as Record<string, DiskRecord> | undefined) ?? {};
}

/** Whether the node holds a live persistent disk. */
export function holdsDisks(node: WithExtra): boolean {
  return Object.keys(disksOf(node)).length > 0;
}

export function reservationOf(node: WithExtra): Reservation | undefined {
  return node.extra?.[RESERVATION_KEY] as Reservation | undefined;
}

export function parkedOf(node: WithExtra): Parked | undefined {
  return node.extra?.[PARKED_KEY] as Parked | undefined;
}

export function giveBackOf(node: WithExtra): GiveBack | undefined {
  return node.extra?.[GIVE_BACK_KEY] as GiveBack | undefined;
}

/** Devices of deleted disks, wiped by the node's next cleaning before they back a new disk. */
export function wipesOf(node: WithExtra): string[] {
  return (node.extra?.[WIPE_KEY] as string[] | undefined) ?? [];
}

/** A disk CID names its node: `<node uuid>.<disk id>`. */
export function newDiskCid(nodeUuid: string): { cid: NativeCid<'disk'>; id: string } {
  const id = randomBytes(6).toString('hex');
  return { cid: nativeCid('disk', `${nodeUuid}.${id}`), id };
}

const DISK_CID = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([0-9a-f]{12})$/i;

/** The node and disk id of a disk CID, or undefined for a CID that is not one of ours. */
export function parseDiskCid(cid: string): { node: string; id: string } | undefined {
  const m = DISK_CID.exec(cid);
  return m === null ? undefined : { node: m[1]!.toLowerCase(), id: m[2]!.toLowerCase() };
}

export function requireDiskCid(cid: string, doing: string): { node: string; id: string } {
  const parsed = parseDiskCid(cid);
  if (parsed === undefined) throw new CpiError('CPX_DISK_NOT_FOUND', `${doing}: '${cid}' is not an Ironic disk CID (<node uuid>.<disk id>)`);
  return parsed;
}
