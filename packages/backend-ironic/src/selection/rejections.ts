import { holdsDisks, parkedOf } from '../disks/records.js';
import type { Requirements } from './requirements.js';

/** The node fields selection looks at (a `fields=` list keeps node listings small). */
export const SELECTION_FIELDS = [
  'uuid', 'name', 'provision_state', 'power_state', 'maintenance', 'fault', 'instance_uuid', 'resource_class',
  'conductor_group', 'properties', 'traits', 'extra',
] as const;

export interface SelectableNode {
  readonly uuid: string;
  readonly name?: string | null;
  readonly provision_state?: string;
  readonly power_state?: string | null;
  readonly maintenance?: boolean;
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
 * MACs they own (from the port look-up), when the vm_type names MACs.
 */
export function rejection(node: SelectableNode, req: Requirements, owners?: ReadonlyMap<string, readonly string[]>): string | undefined {
  const parked = parkedOf(node);
  if (parked !== undefined) return `parked for its persistent disks${parked.instance ? ` (instance ${parked.instance})` : ''}`;
  if (node.provision_state !== 'available') return `provision state is '${node.provision_state}', not 'available'`;
  if (node.instance_uuid) return `already claimed by instance ${node.instance_uuid}`;
  if (node.maintenance) return 'in maintenance';
  if (node.fault) return `has a fault: ${node.fault}`;
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
