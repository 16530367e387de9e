import { getNode, listNodes } from './ironic/nodes.js';
import type { Node } from './ironic/types.js';
import type { IronicContext } from './config.js';
import { isVmCid } from './vm-cid.js';

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
}

export function vmRecord(node: Pick<Node, 'extra'>): VmRecord | undefined {
  const record = node.extra?.[VM_KEY];
  return typeof record === 'object' && record !== null ? (record as unknown as VmRecord) : undefined;
}

/**
 * The node that carries this VM, found by its `instance_uuid` in one request; undefined when no
 * node does (deleted, never made, or a CID of something else).
 */
export async function findVmNode(ctx: IronicContext, cid: string, signal?: AbortSignal): Promise<Node | undefined> {
  if (!isVmCid(cid)) return undefined;
  for await (const page of listNodes(
    ctx.client,
    { instance_uuid: cid, fields: ['uuid'] },
    { doing: `Finding the node of VM ${cid}`, ...(signal ? { signal } : {}) },
  )) {
    const [found] = page;
    if (found !== undefined) return getNode(ctx.client, found.uuid, { doing: `Reading node ${found.uuid} of VM ${cid}`, ...(signal ? { signal } : {}) });
  }
  return undefined;
}
