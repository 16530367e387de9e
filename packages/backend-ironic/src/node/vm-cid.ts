import { createHash } from 'node:crypto';
import { nativeCid, type NativeCid } from '@hybrid-cpi/core';

/** The namespace of bosh-hybrid-cpi's name-based UUIDs. */
const NAMESPACE = Buffer.from('6c1d5a52a3e04e0f9d3bd2c6b0f4b7a1', 'hex');

/**
 * The VM CID of the VM made for an agent: a name-based UUID (RFC 9562 v5) of its `agent_id`. It
 * is what the node's `instance_uuid` (and allocation) carries while the VM lives, so that
 * - `has_vm` and `delete_vm` find the node in one request (`?instance_uuid=`);
 * - a `create_vm` retried with the same `agent_id` (the director's retry after a crash or a
 *   VMCreationFailed) finds its own half-done node and continues it;
 * - a node reused by a later VM carries another UUID, so an old CID never names it again (the
 *   director gives every new VM a new agent_id).
 */
export function vmCidFor(agentId: string): NativeCid<'vm'> {
  const hash = createHash('sha1').update(NAMESPACE).update(agentId, 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return nativeCid('vm', `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`);
}

/**
 * The VM CID of a VM on a node kept for its persistent disks: the node stays claimed by the
 * disks' reservation through every recreate, so its `instance_uuid` cannot carry the VM's UUID
 * and the CID names the node instead: `<node uuid>.<vm uuid>`, one GET away.
 */
export function vmCidOnNode(nodeUuid: string, agentId: string): NativeCid<'vm'> {
  return nativeCid('vm', `${nodeUuid}.${vmCidFor(agentId)}`);
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const VM_CID = new RegExp(`^(?:(${UUID})\\.)?(${UUID})$`, 'i');

/**
 * The parts of one of our VM CIDs: the node it names (`<node>.<vm>`), or none (a bare UUID, the
 * node's `instance_uuid`). Undefined for anything else: Ironic refuses a non-UUID
 * `instance_uuid` with a 400, and a foreign CID simply names no VM here.
 */
export function parseVmCid(cid: string): { readonly node: string | undefined } | undefined {
  const m = VM_CID.exec(cid);
  return m === null ? undefined : { node: m[1]?.toLowerCase() };
}
