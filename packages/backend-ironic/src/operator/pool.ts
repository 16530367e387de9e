import { silentLogger, type BackendSeams } from '@hybrid-cpi/core';
import type { IronicConfig } from '../config.js';
import { claimsByAllocation } from '../node/claim-mode.js';
import { nodeDevices, type Device } from '../disks/devices.js';
import { connectIronic, seamDispatcher } from '../ironic/connect.js';
import type { IronicClient } from '../ironic/client.js';
import { listNodes } from '../ironic/nodes.js';
import type { Node } from '../ironic/types.js';
import { lldpSwitch } from '../placement/domains.js';
import { macOwners } from '../selection/mac-owners.js';
import { inShard } from '../selection/shard.js';
import { SELECTION_FIELDS, selectionListing } from '../selection/rejections.js';

/** What the operator commands read of a node beyond what selection reads: why it is unusable. */
const MORE_FIELDS = ['maintenance_reason', 'last_error', 'target_provision_state'] as const;
/** What the operator commands read of a node: what selection reads (newer fields where the server has them), plus why it is unusable. */
export const POOL_FIELDS = [...SELECTION_FIELDS, ...MORE_FIELDS] as const;
export type PoolNode = Pick<Node, (typeof POOL_FIELDS)[number] | 'retired' | 'retired_reason' | 'health'>;

/** Read-only access to one Ironic backend's nodes: it lists, it never claims nor patches. */
export interface NodePool {
  /** Every node Ironic has (in the backend's shard, when it names one), whatever its state. */
  nodes(signal?: AbortSignal): Promise<PoolNode[]>;
  /** Node UUID → which of these MACs its ports own (as create_vm looks them up). */
  macOwners(macs: readonly string[], signal?: AbortSignal): Promise<Map<string, string[]>>;
  /** The node's local devices, as create_disk finds them (inspection inventory, else properties.disks). */
  devices(node: PoolNode, signal?: AbortSignal): Promise<Device[]>;
  /** Whether create_vm claims through the Allocation API here (then only nodes with a resource_class). */
  claimsByAllocation(signal?: AbortSignal): Promise<boolean>;
  /** The switch the node's PXE port is cabled to, from LLDP in its inspection inventory; undefined when none says. */
  lldpSwitch(uuid: string, signal?: AbortSignal): Promise<string | undefined>;
  close(): Promise<void>;
}

/**
 * Connects for an operator command. A person waits for the answer, so a server that does not
 * answer is reported after one quick retry rather than after the CPI's ~15 s of back-off.
 */
export async function openPool(config: IronicConfig, seams: BackendSeams = {}): Promise<NodePool> {
  const client = await operatorClient(config, seams);
  return {
    async nodes(signal) {
      const all: PoolNode[] = [];
      const call = { doing: 'Listing the Ironic nodes', ...(signal === undefined ? {} : { signal }) };
      const { fields, microversion } = await selectionListing(client, MORE_FIELDS, call);
      const options = { ...call, microversion };
      for await (const page of listNodes(client, { ...inShard(config), fields, limit: 1000 }, options)) all.push(...(page as PoolNode[]));
      return all;
    },
    macOwners: (macs, signal) => macOwners(client, macs, { shard: config.shard, signal }),
    claimsByAllocation: (signal) => claimsByAllocation(config, client, signal),
    lldpSwitch: (uuid, signal) => lldpSwitch({ client }, uuid, signal ?? new AbortController().signal),
    devices: (node, signal) => nodeDevices({ client }, { ...node, properties: node.properties ?? {} }, signal ?? new AbortController().signal),
    close: () => client.close(),
  };
}

/** A client for an operator command: one quick retry, the composition root's dispatcher if it set one. */
export function operatorClient(config: IronicConfig, seams: BackendSeams): Promise<IronicClient> {
  return connectIronic(config.ironic, { logger: silentLogger, retry: { attempts: 2, baseMs: 200, maxMs: 500 }, ...seamDispatcher(seams) });
}
