import { holdsDisks, parkedOf } from '../disks/records.js';
import type { CallOptions } from '../ironic/call-options.js';
import type { IronicClient } from '../ironic/client.js';
import { ALLOCATIONS, HEALTH, RETIRED, type Microversion } from '../ironic/microversions.js';
import type { NodeField } from '../ironic/types.js';
import { quarantineOf } from '../quarantine/records.js';
import type { Requirements } from './requirements.js';

/** The node fields selection looks at on every server (a `fields=` list keeps node listings small). */
export const SELECTION_FIELDS = [
  'uuid',
  'name',
  'provision_state',
  'power_state',
  'maintenance',
  'fault',
  'instance_uuid',
  'resource_class',
  'conductor_group',
  'properties',
  'traits',
  'extra',
] as const;

/** Fields a newer server adds, with the microversion that has them (asking an older one is a 406). */
const NEWER_FIELDS: readonly (readonly [Microversion, readonly NodeField[]])[] = [
  [RETIRED, ['retired', 'retired_reason']],
  [HEALTH, ['health']],
];

/**
 * What to ask for when listing nodes to judge them: {@link SELECTION_FIELDS} and `more`, plus the
 * newer fields the server has, at the microversion that has them all. The server's version is
 * learnt from earlier answers, so this costs a request only when none was made yet.
 */
export async function selectionListing<K extends NodeField>(
  client: IronicClient,
  more: readonly K[],
  options: CallOptions = {},
): Promise<{ fields: NodeField[]; microversion: Microversion }> {
  const fields: NodeField[] = [...SELECTION_FIELDS];
  let microversion: Microversion = ALLOCATIONS;
  for (const [version, added] of NEWER_FIELDS) {
    if (!(await client.supports(version, options))) break;
    fields.push(...added);
    microversion = version;
  }
  return { fields: [...fields, ...more], microversion };
}

export interface SelectableNode {
  readonly uuid: string;
  readonly name?: string | null;
  readonly provision_state?: string;
  readonly power_state?: string | null;
  readonly maintenance?: boolean;
  /** Since 1.61. */
  readonly retired?: boolean;
  readonly retired_reason?: string | null;
  /** Since 1.109: `OK`, `Warning`, `Critical`, or null. */
  readonly health?: string | null;
  readonly fault?: string | null;
  readonly instance_uuid?: string | null;
  readonly resource_class?: string | null;
  readonly conductor_group?: string;
  readonly properties?: Readonly<Record<string, unknown>>;
  readonly traits?: readonly string[] | null;
  readonly extra?: Readonly<Record<string, unknown>>;
}

/**
 * Why a node cannot take this VM, or undefined when it can. `owners` maps node UUIDs to the
 * MACs they own (from the port look-up), when the vm_type names MACs. A node must be healthy:
 * not retired (a quarantine says since when and why), not in maintenance, without a fault, with a
 * power state Ironic has read (null means it never reached the BMC; the Allocation API skips such
 * nodes too) that is not `error`, and not reporting `Critical` hardware health.
 */
export function rejection(node: SelectableNode, req: Requirements, owners?: ReadonlyMap<string, readonly string[]>): string | undefined {
  if (node.retired) return quarantineOf(node) ?? `retired: ${node.retired_reason ?? 'no reason given'}`;
  const parked = parkedOf(node);
  if (parked !== undefined) return `parked for its persistent disks${parked.instance ? ` (instance ${parked.instance})` : ''}`;
  if (node.provision_state !== 'available') return `provision state is '${node.provision_state}', not 'available'`;
  if (node.instance_uuid) return `already claimed by instance ${node.instance_uuid}`;
  if (node.maintenance) return quarantineOf(node) === undefined ? 'in maintenance' : `in maintenance, ${quarantineOf(node)}`;
  if (node.fault) return `has a fault: ${node.fault}`;
  if (node.power_state === null) return 'power state unknown: Ironic has not read it from the BMC yet';
  if (node.power_state === 'error') return "power state is 'error': Ironic could not read or set it";
  if (node.health === 'Critical') return 'hardware health is Critical';
  if (holdsDisks(node)) return 'reserved: it holds a persistent disk';
  if (req.nodes !== undefined && !req.nodes.includes(node.uuid) && !(node.name && req.nodes.includes(node.name))) {
    return `not one of the nodes ${req.nodes.join(', ')}`;
  }
  if (req.macs !== undefined && (owners?.get(node.uuid)?.length ?? 0) === 0) return `has no port with one of the MACs ${req.macs.join(', ')}`;
  if (req.resourceClass !== undefined && node.resource_class !== req.resourceClass) {
    return `resource_class is ${JSON.stringify(node.resource_class ?? null)}, not '${req.resourceClass}'`;
  }
  if (req.conductorGroup !== undefined && (node.conductor_group ?? '') !== req.conductorGroup) {
    return `conductor_group is '${node.conductor_group ?? ''}', not '${req.conductorGroup}'`;
  }
  const missing = (req.traits ?? []).filter((t) => !(node.traits ?? []).includes(t));
  if (missing.length > 0) return `lacks the traits ${missing.join(', ')}`;
  for (const [key, wanted] of Object.entries(req.minimums ?? {})) {
    const actual = node.properties?.[key];
    if (key === 'cpu_arch') {
      if (actual !== wanted) return `cpu_arch is ${JSON.stringify(actual ?? null)}, not '${String(wanted)}'`;
    } else if (!(Number(actual) >= Number(wanted))) {
      // Ironic keeps properties as given at enrollment: numbers or numeric strings.
      return `${key} is ${JSON.stringify(actual ?? null)}, less than ${String(wanted)}`;
    }
  }
  return undefined;
}

/** "node-3 (6f…): in maintenance" lines for the error when nothing matched. */
export function explainRejections(nodes: readonly SelectableNode[], req: Requirements, owners?: ReadonlyMap<string, readonly string[]>, limit = 25): string {
  if (nodes.length === 0) return 'Ironic has no nodes at all';
  const lines = nodes.slice(0, limit).map((n) => `${n.name ? `${n.name} (${n.uuid})` : n.uuid}: ${rejection(n, req, owners) ?? 'would match'}`);
  if (nodes.length > limit) lines.push(`… and ${nodes.length - limit} more nodes`);
  return lines.join('; ');
}
