import {
  encodeCid,
  messageOf,
  nativeCid,
  type CidKind,
  type CloudProperties,
  type DeviceNeed,
  type NodeChoice,
  type NodeList,
  type NodeView,
  type OperatorContext,
  type Placement,
  type ReturnedNode,
  type TypeFit,
  type ViewFailure,
} from '@hybrid-cpi/core';
import type { IronicConfig } from '../config.js';
import type { Device } from '../disks/devices.js';
import { mapLimit } from '../ironic/map-limit.js';
import { enrollParamsOf } from '../node/enroll.js';
import { describeDomains, namedDomain } from '../placement/domains.js';
import { countInstances, spreadOrder } from '../placement/spread.js';
import type { SelectableNode } from '../selection/rejections.js';
import { requirementsOf, type Requirements } from '../selection/requirements.js';
import { agentDiskMisfit, diskMisfit } from './device-fit.js';
import { assessNodes, type NodeFit } from './fit.js';
import { nodeStatus, type NodeStatus } from './node-status.js';
import { openPool, type NodePool, type PoolNode } from './pool.js';
import { unquarantineNode } from './unquarantine.js';

/** Why create_vm never claims a node when it claims through the Allocation API. */
const NO_RESOURCE_CLASS = 'has no resource_class, which the Allocation API needs (this backend claims through it); set one, or set claim: instance_uuid';

/** Inventory look-ups (devices, LLDP switches) in flight at once: one GET per node. */
const NODE_LOOKUPS = 8;

/** How the matching nodes fare beyond a type's selectors: a reason for each that cannot serve it. */
interface Misfit {
  readonly node: PoolNode;
  readonly reason: string;
}

type Assessment = { readonly requirements: Requirements; readonly fits: readonly NodeFit[]; readonly enrolls: boolean } | ViewFailure;

const USE_LABELS: Record<NodeStatus['use'], string> = {
  free: 'free',
  vm: 'vm',
  parked: 'parked',
  quarantined: 'quarantined',
  foreign: 'claimed',
  unavailable: 'unavailable',
};

const COLUMNS = ['BACKEND', 'NAME', 'UUID', 'PROVISION', 'POWER', 'STATUS', 'AGENT', 'DEPLOYMENT', 'INSTANCE', 'DISKS', 'NOTE'] as const;

/**
 * The nodes of one Ironic backend as the operator commands see them: listed once, judged against
 * any number of vm_types and disk_types with the rules create_vm and create_disk apply.
 */
export class IronicNodeView implements NodeView {
  readonly #config: IronicConfig;
  readonly #ctx: OperatorContext;
  #pool: Promise<NodePool> | undefined;
  #listing: Promise<{ readonly nodes: readonly PoolNode[] } | ViewFailure> | undefined;
  readonly #devices = new Map<string, Promise<Device[] | string>>();

  constructor(config: IronicConfig, ctx: OperatorContext) {
    this.#config = config;
    this.#ctx = ctx;
  }

  async count(): Promise<{ readonly count: number } | ViewFailure> {
    const listing = await this.#nodes();
    return 'error' in listing ? listing : { count: listing.nodes.length };
  }

  async fit(props: CloudProperties, need: DeviceNeed): Promise<TypeFit | ViewFailure> {
    const assessed = await this.#assess(props);
    if ('error' in assessed) return assessed;
    const { fits, enrolls } = assessed;
    const matching = fits.filter((f) => f.mismatch === undefined);
    // An enrolled node is new: none of the existing ones is judged further.
    const judged = enrolls ? [] : matching.map((f) => f.node as PoolNode);
    try {
      const misfits = await this.#judge(judged, props, need);
      return {
        enrolls,
        matched: matching.length,
        free: matching.filter((f) => f.rejection === undefined).length,
        usable: judged.length - misfits.length,
        rejected: matching.length === 0 ? fits.map((f) => reason(f.node, f.mismatch!)) : misfits.map((m) => reason(m.node, m.reason)),
      };
    } catch (error) {
      return { error: messageOf(error) };
    }
  }

  async choose(props: CloudProperties, group?: string): Promise<NodeChoice | ViewFailure> {
    const assessed = await this.#assess(props);
    if ('error' in assessed) return assessed;
    const requires = describeRequirements(assessed.requirements);
    if (assessed.enrolls) return { requires, enrolls: true, wouldTake: null, alsoFit: [], notTaken: [] };
    const fitting = assessed.fits.filter((f) => f.rejection === undefined).map((f) => f.node);
    let placed: { readonly placement: Placement; readonly order: readonly SelectableNode[] } | undefined;
    try {
      placed = await this.#placement(fitting, assessed.requirements.conductorGroup, group);
    } catch (error) {
      return { error: messageOf(error) };
    }
    const [taken, ...alternatives] = placed?.order ?? fitting;
    return {
      requires,
      enrolls: false,
      wouldTake: taken === undefined ? null : ref(taken),
      alsoFit: alternatives.map(ref),
      notTaken: assessed.fits.filter((f) => f.rejection !== undefined).map((f) => reason(f.node, f.rejection!)),
      ...(placed === undefined ? {} : { placement: placed.placement }),
    };
  }

  async list(): Promise<NodeList | ViewFailure> {
    const listing = await this.#nodes();
    if ('error' in listing) return listing;
    const name = this.#ctx.name;
    return { columns: COLUMNS, nodes: listing.nodes.map(nodeStatus).map((s) => ({ cells: row(name, s), json: asJson(name, s) })) };
  }

  returnNode(node: string): Promise<ReturnedNode> {
    return unquarantineNode(this.#config, node, this.#ctx.seams);
  }

  async close(): Promise<void> {
    const pool = await this.#pool?.catch(() => undefined);
    await pool?.close();
  }

  #openPool(): Promise<NodePool> {
    this.#pool ??= openPool(this.#config, this.#ctx.seams);
    return this.#pool;
  }

  #nodes(): Promise<{ readonly nodes: readonly PoolNode[] } | ViewFailure> {
    this.#listing ??= this.#openPool()
      .then(async (pool) => ({ nodes: sortNodes(await pool.nodes()) }))
      .catch((error: unknown) => ({ error: messageOf(error) }));
    return this.#listing;
  }

  /** The nodes against a type's (merged) cloud_properties, as claimNode judges them. */
  async #assess(props: CloudProperties): Promise<Assessment> {
    let requirements: Requirements;
    let enroll: boolean;
    try {
      requirements = requirementsOf(props);
      enroll = enrollParamsOf(props) !== undefined;
    } catch (error) {
      return { error: messageOf(error) };
    }
    const listing = await this.#nodes();
    if ('error' in listing) return listing;
    try {
      const owners = requirements.macs === undefined ? undefined : await (await this.#openPool()).macOwners(requirements.macs);
      // create_vm enrolls a server from ironic_params when Ironic knows none of its MACs.
      const enrolls = enroll && owners !== undefined && owners.size === 0;
      return { requirements, fits: assessNodes(listing.nodes, requirements, owners), enrolls };
    } catch (error) {
      return { error: messageOf(error) };
    }
  }

  /**
   * A disk_type: create_disk's verdict on each node (no devices known is a misfit: create_disk
   * refuses it too). A vm_type: claims through the Allocation API take only nodes with a
   * resource_class, and nodes whose devices are known must have the agent's disks.
   */
  async #judge(nodes: readonly PoolNode[], props: CloudProperties, need: DeviceNeed): Promise<Misfit[]> {
    const devices = await this.#devicesOf(nodes);
    const byAllocation = !need.disk && nodes.length > 0 && (await (await this.#openPool()).claimsByAllocation());
    const misfits: Misfit[] = [];
    for (const [i, node] of nodes.entries()) {
      const found = devices[i]!;
      let why: string | undefined;
      if (need.disk) why = typeof found === 'string' ? found : diskMisfit(node, found, props, need.sizeMb);
      else if (byAllocation && !node.resource_class) why = NO_RESOURCE_CLASS;
      else why = typeof found === 'string' ? undefined : agentDiskMisfit(found, props);
      if (why !== undefined) misfits.push({ node, reason: why });
    }
    return misfits;
  }

  /** Each node's devices, or why Ironic knows none; each node asked once, a few at a time. */
  async #devicesOf(nodes: readonly PoolNode[]): Promise<(Device[] | string)[]> {
    const pool = await this.#openPool();
    return mapLimit(nodes, NODE_LOOKUPS, (node) => {
      let found = this.#devices.get(node.uuid);
      if (found === undefined) {
        found = pool.devices(node).catch((error: unknown) => messageOf(error));
        this.#devices.set(node.uuid, found);
      }
      return found;
    });
  }

  /**
   * create_vm's failure-domain order of the fitting nodes for a VM of `group` (none: every count
   * is 0), from the listing: the group's instances among the claimed nodes of the AZ's conductor
   * group, and each node's domain (its LLDP switch read where the config asks). Domains with as
   * many instances keep name order here; create_vm takes one of them at random.
   */
  async #placement<N extends SelectableNode>(
    fitting: readonly N[],
    conductorGroup: string | undefined,
    group: string | undefined,
  ): Promise<{ readonly placement: Placement; readonly order: readonly N[] } | undefined> {
    const config = this.#config.failure_domain;
    const listing = await this.#nodes();
    if (config === undefined || 'error' in listing) return undefined;
    const pool = await this.#openPool();
    const domainOf = new Map<string, string>();
    await mapLimit(fitting, NODE_LOOKUPS, async (node) => {
      const domain = namedDomain(config, node) ?? (config.lldp ? await pool.lldpSwitch(node.uuid) : undefined);
      if (domain !== undefined) domainOf.set(node.uuid, domain);
    });
    const claimed = listing.nodes.filter((n) => n.instance_uuid && (conductorGroup === undefined || n.conductor_group === conductorGroup));
    const instances = group === undefined ? new Map<string, number>() : countInstances(claimed, group, config);
    const { order, domains, unnamed } = spreadOrder(fitting, domainOf, instances, () => 0);
    return {
      placement: {
        source: describeDomains(config),
        group: group ?? null,
        domains: domains.map((d) => ({ domain: d.domain, instances: d.instances, fitting: d.candidates })),
        unnamed,
      },
      order: order.flat(),
    };
  }
}

const ref = (node: { uuid: string; name?: string | null }) => ({ uuid: node.uuid, name: node.name ?? null });
const reason = (node: { uuid: string; name?: string | null }, why: string) => ({ ...ref(node), reason: why });

/** By name, then UUID: reports and golden files stay in one order whatever Ironic answers. */
function sortNodes(nodes: readonly PoolNode[]): PoolNode[] {
  const key = (n: PoolNode) => `${n.name ?? '\uffff'}\u0000${n.uuid}`;
  return [...nodes].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
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

function row(backend: string, s: NodeStatus): string[] {
  const dash = (v: string | null | undefined) => (v === null || v === undefined || v === '' ? '-' : v);
  const instance = s.vm === null || (s.vm.job === null && s.vm.index === null) ? null : `${s.vm.job ?? '?'}/${s.vm.index ?? '?'}`;
  const disks = s.disks.map((d) => `${d.cid.slice(s.uuid.length + 1)} ${d.device} ${d.size_mb}M${d.attached_to === null ? '' : ' attached'}`).join(', ');
  return [
    backend,
    dash(s.name),
    s.uuid,
    s.provision_state,
    dash(s.power_state),
    s.use === 'vm' && s.enrolled ? 'vm, enrolled' : USE_LABELS[s.use],
    dash(s.vm?.agent_id),
    dash(s.vm?.deployment),
    dash(instance),
    dash(disks),
    dash(s.reason),
  ];
}

/** CIDs as the director knows them: with the backend prefix. */
function asJson(backend: OperatorContext['name'], s: NodeStatus) {
  const cid = (kind: CidKind, native: string | null) => (native === null ? null : encodeCid(backend, nativeCid(kind, native)));
  return {
    backend,
    uuid: s.uuid,
    name: s.name,
    provision_state: s.provision_state,
    power_state: s.power_state,
    status: s.use,
    reason: s.reason,
    enrolled: s.enrolled,
    vm: s.vm === null ? null : { ...s.vm, cid: cid('vm', s.vm.cid) },
    disks: s.disks.map((d) => ({ ...d, cid: cid('disk', d.cid), attached_to: cid('vm', d.attached_to) })),
  };
}
