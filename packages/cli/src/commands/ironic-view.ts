import type { BackendName, HybridConfig } from '@hybrid-cpi/core';
import {
  agentDiskMisfit,
  assessNodes,
  countInstances,
  describeDomains,
  diskMisfit,
  enrollParamsOf,
  mapLimit,
  namedDomain,
  openPool,
  requirementsOf,
  spreadOrder,
  type Device,
  type DomainCount,
  type IronicConfig,
  type NodeFit,
  type NodePool,
  type PoolNode,
  type Requirements,
  type SelectableNode,
} from '@hybrid-cpi/backend-ironic/operator';
import type { Properties } from './cloud-config.js';

export type Listing = { readonly nodes: readonly PoolNode[]; readonly error?: undefined } | { readonly error: string };

/** A node as a report names it. */
export interface NodeRef {
  readonly uuid: string;
  readonly name: string | null;
}

/** A node a report names, and why it cannot take something. */
export interface NodeRefReason extends NodeRef {
  readonly reason: string;
}

/** A node and why it cannot take something. */
export interface NodeReason {
  readonly node: PoolNode;
  readonly reason: string;
}

/** How the nodes that match a type fare beyond its selectors: how many can serve it, and why not the others. */
export interface Usability {
  readonly usable: number;
  readonly misfits: readonly NodeReason[];
}

export type Assessment =
  | { readonly error: string }
  | {
      readonly error?: undefined;
      readonly requirements: Requirements;
      readonly fits: readonly NodeFit[];
      readonly enrolls: boolean;
      /**
       * The matching nodes judged further: a disk_type by its device and size; a vm_type by the
       * agent's system and ephemeral disks, and whether create_vm can claim the node at all.
       */
      readonly usability: Usability;
    };

/** How create_vm would spread a vm_type's fitting nodes over failure domains (`failure_domain`). */
export interface PlacementView<N> {
  /** What names the domains (`node property rack`). */
  readonly source: string;
  readonly group: string | null;
  /** The domains of the fitting nodes, in the order create_vm tries them. */
  readonly domains: readonly DomainCount[];
  /** Fitting nodes in no named domain, tried last. */
  readonly unnamed: number;
  /** The fitting nodes in that order: domain by domain, each by name. */
  readonly order: readonly N[];
}

/** What a type asks of a node's devices: a disk of `sizeMb` (a disk_type), or the agent's disks (a vm_type). */
export type DeviceNeed = { readonly disk: true; readonly sizeMb: number } | { readonly disk: false };

/** Why create_vm never claims a node when it claims through the Allocation API. */
const NO_RESOURCE_CLASS = 'has no resource_class, which the Allocation API needs (this backend claims through it); set one, or set claim: instance_uuid';

/** Inventory look-ups (devices, LLDP) in flight at once: one GET per node. */
const NODE_LOOKUPS = 8;

/**
 * The Ironic backends of a config as an operator command sees them: each backend's nodes listed
 * once and judged against any number of vm_types. Read-only; close it when done.
 */
export class IronicView {
  readonly #config: HybridConfig;
  readonly #pools = new Map<BackendName, Promise<NodePool>>();
  readonly #listings = new Map<BackendName, Promise<Listing>>();
  readonly #devices = new Map<string, Promise<Device[] | string>>();

  constructor(config: HybridConfig) {
    this.#config = config;
  }

  /** The names of the config's `type: ironic` backends. */
  backends(): BackendName[] {
    return [...this.#config.backends.values()].filter((b) => b.config.type === 'ironic').map((b) => b.name);
  }

  nodes(name: BackendName): Promise<Listing> {
    let listing = this.#listings.get(name);
    if (listing === undefined) {
      listing = this.#pool(name)
        .then(async (pool) => ({ nodes: sortNodes(await pool.nodes()) }))
        .catch((error: unknown) => ({ error: (error as Error).message }));
      this.#listings.set(name, listing);
    }
    return listing;
  }

  /** How the nodes of `name` fare against a type's (merged) cloud_properties. */
  async assess(name: BackendName, props: Properties, need: DeviceNeed = { disk: false }): Promise<Assessment> {
    let requirements: Requirements;
    let enroll: boolean;
    try {
      requirements = requirementsOf(props);
      enroll = enrollParamsOf(props) !== undefined;
    } catch (error) {
      return { error: (error as Error).message };
    }
    const listing = await this.nodes(name);
    if (listing.error !== undefined) return listing;
    try {
      const owners = requirements.macs === undefined ? undefined : await (await this.#pool(name)).macOwners(requirements.macs);
      // create_vm enrolls a server from ironic_params when Ironic knows none of its MACs.
      const enrolls = enroll && owners !== undefined && owners.size === 0;
      const fits = assessNodes(listing.nodes, requirements, owners);
      const matching = enrolls ? [] : listing.nodes.filter((_, i) => fits[i]!.mismatch === undefined);
      return { requirements, fits, enrolls, usability: await this.#judge(name, matching, props, need) };
    } catch (error) {
      return { error: (error as Error).message };
    }
  }

  /**
   * A disk_type: create_disk's verdict on each node (no devices known is a misfit: create_disk
   * refuses it too). A vm_type: claims through the Allocation API take only nodes with a
   * resource_class, and nodes whose devices are known must have the agent's disks.
   */
  async #judge(name: BackendName, nodes: readonly PoolNode[], props: Properties, need: DeviceNeed): Promise<Usability> {
    const devices = await this.#devicesOf(name, nodes);
    const byAllocation = !need.disk && nodes.length > 0 && (await (await this.#pool(name)).claimsByAllocation());
    const misfits: NodeReason[] = [];
    for (const [i, node] of nodes.entries()) {
      const found = devices[i]!;
      let reason: string | undefined;
      if (need.disk) reason = typeof found === 'string' ? found : diskMisfit(node, found, props, need.sizeMb);
      else if (byAllocation && !node.resource_class) reason = NO_RESOURCE_CLASS;
      else reason = typeof found === 'string' ? undefined : agentDiskMisfit(found, props);
      if (reason !== undefined) misfits.push({ node, reason });
    }
    return { usable: nodes.length - misfits.length, misfits };
  }

  /** Each node's devices, or why Ironic knows none; each node asked once, a few at a time. */
  async #devicesOf(name: BackendName, nodes: readonly PoolNode[]): Promise<(Device[] | string)[]> {
    const pool = await this.#pool(name);
    return mapLimit(nodes, NODE_LOOKUPS, (node) => {
      let found = this.#devices.get(node.uuid);
      if (found === undefined) {
        found = pool.devices(node).catch((error: unknown) => (error as Error).message);
        this.#devices.set(node.uuid, found);
      }
      return found;
    });
  }

  /**
   * create_vm's failure-domain choice for these fitting nodes and a VM of `group` (none: every
   * count is 0), from the backend's listing: the group's instances among the claimed nodes of the
   * AZ's conductor group, and each node's domain (its LLDP switch looked up where the config asks).
   * Domains with as many instances keep name order here; create_vm takes one of them at random.
   */
  async placement<N extends SelectableNode>(
    name: BackendName,
    fitting: readonly N[],
    conductorGroup: string | undefined,
    group: string | undefined,
  ): Promise<PlacementView<N> | undefined> {
    const config = (this.#config.backends.get(name)!.config as IronicConfig).failure_domain;
    const listing = await this.nodes(name);
    if (config === undefined || listing.error !== undefined) return undefined;
    const domainOf = new Map<string, string>();
    const pool = await this.#pool(name);
    await mapLimit(fitting, NODE_LOOKUPS, async (node) => {
      const domain = namedDomain(config, node) ?? (config.lldp ? await pool.lldpSwitch(node.uuid) : undefined);
      if (domain !== undefined) domainOf.set(node.uuid, domain);
    });
    const scope = listing.nodes.filter((n) => n.instance_uuid && (conductorGroup === undefined || n.conductor_group === conductorGroup));
    const instances = group === undefined ? new Map<string, number>() : countInstances(scope, group, config);
    const { order, domains, unnamed } = spreadOrder(fitting, domainOf, instances, () => 0);
    return { source: describeDomains(config), group: group ?? null, domains, unnamed, order: order.flat() };
  }

  async close(): Promise<void> {
    const pools = await Promise.allSettled(this.#pools.values());
    await Promise.allSettled(pools.map((p) => (p.status === 'fulfilled' ? p.value.close() : undefined)));
  }

  #pool(name: BackendName): Promise<NodePool> {
    let pool = this.#pools.get(name);
    if (pool === undefined) {
      pool = openPool(this.#config.backends.get(name)!.config as IronicConfig);
      this.#pools.set(name, pool);
    }
    return pool;
  }
}

/** By name, then UUID: reports and golden files stay in one order whatever Ironic answers. */
function sortNodes(nodes: readonly PoolNode[]): PoolNode[] {
  const key = (n: PoolNode) => `${n.name ?? '\uffff'}\u0000${n.uuid}`;
  return [...nodes].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** `node-a (6f…)`, or the UUID alone for a nameless node. */
export function nodeLabel(node: { readonly uuid: string; readonly name?: string | null }): string {
  return node.name ? `${node.name} (${node.uuid})` : node.uuid;
}

/** What a vm_type asks of a node, in one line. */
export function describeRequirements(req: Requirements): string {
  const parts: string[] = [];
  if (req.nodes) parts.push(`nodes ${req.nodes.join(', ')}`);
  if (req.macs) parts.push(`a port with MAC ${req.macs.join(' or ')}`);
  if (req.resourceClass !== undefined) parts.push(`resource_class ${req.resourceClass}`);
  if (req.conductorGroup !== undefined) parts.push(`conductor_group ${req.conductorGroup}`);
  if (req.traits) parts.push(`traits ${req.traits.join(', ')}`);
  for (const [key, value] of Object.entries(req.minimums ?? {})) parts.push(key === 'cpu_arch' ? `cpu_arch ${String(value)}` : `${key} >= ${String(value)}`);
  return parts.length === 0 ? 'any free node' : parts.join('; ');
}
