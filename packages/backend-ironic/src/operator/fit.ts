import { DISKS_KEY, PARKED_KEY } from '../disks/records.js';
import { rejection, type SelectableNode } from '../selection/rejections.js';
import type { Requirements } from '../selection/requirements.js';

/** One node judged against a vm_type, with the reasons create_vm itself would give. */
export interface NodeFit {
  readonly node: SelectableNode;
  /** Why create_vm would not take it now; undefined when it would. */
  readonly rejection: string | undefined;
  /** Why it could never take it, even once free and out of maintenance; undefined when it could. */
  readonly mismatch: string | undefined;
}

/**
 * Judges every node the way claimNode does (the same `rejection`), and again as if the node were
 * free, healthy (not retired, powered, no fault, no `Critical` health) and without disks: that
 * tells "no node is free now" from "no node ever fits".
 */
export function assessNodes(nodes: readonly SelectableNode[], req: Requirements, owners?: ReadonlyMap<string, readonly string[]>): NodeFit[] {
  return nodes.map((node) => ({ node, rejection: rejection(node, req, owners), mismatch: rejection(asFree(node), req, owners) }));
}

function asFree(node: SelectableNode): SelectableNode {
  const { [DISKS_KEY]: _disks, [PARKED_KEY]: _parked, ...extra } = node.extra ?? {};
  return {
    ...node,
    provision_state: 'available',
    instance_uuid: null,
    maintenance: false,
    fault: null,
    retired: false,
    power_state: 'power off',
    health: null,
    extra,
  };
}
