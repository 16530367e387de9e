import { failuresOf } from '../quarantine/records.js';
import type { SelectableNode } from './rejections.js';

/**
 * The tiers create_vm tries fitting nodes in: first the healthy ones, then those with failed
 * deploys on record (not yet quarantined), last those whose hardware health is `Warning`. Each
 * tier keeps the order it was given (shuffled, so concurrent calls spread over the pool); empty
 * tiers are left out.
 */
export function preferenceTiers<N extends SelectableNode>(nodes: readonly N[]): N[][] {
  const tiers: N[][] = [[], [], []];
  for (const node of nodes) tiers[node.health === 'Warning' ? 2 : failuresOf(node) !== undefined ? 1 : 0]!.push(node);
  return tiers.filter((tier) => tier.length > 0);
}
