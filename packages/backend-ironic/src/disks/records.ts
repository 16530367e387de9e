import { randomBytes } from 'node:crypto';
import { CpiError, nativeCid, type NativeCid } from '@hybrid-cpi/core';
import type { Node } from '../ironic/types.js';

/** `extra` keys of the disk bookkeeping on a node. */
export const DISKS_KEY = 'bosh_disks';
export const RESERVATION_KEY = 'bosh_reservation';
export const WIPE_KEY = 'bosh_wipe';

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
 * While a node holds disks but no VM, it stays claimed (`instance_uuid`) by this reservation, so
 * no create_vm or allocation can take it; `automated_clean` is what to restore once it is free.
 */
export interface Reservation {
  readonly uuid: string;
  readonly automated_clean: boolean | null;
}

export function disksOf(node: Pick<Node, 'extra'>): Record<string, DiskRecord> {
  return (node.extra?.[DISKS_KEY] as Record<string, DiskRecord> | undefined) ?? {};
}

export function reservationOf(node: Pick<Node, 'extra'>): Reservation | undefined {
  return node.extra?.[RESERVATION_KEY] as Reservation | undefined;
}

/** Devices of deleted disks, wiped by the node's next cleaning before they back a new disk. */
export function wipesOf(node: Pick<Node, 'extra'>): string[] {
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
