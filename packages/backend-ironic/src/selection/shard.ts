import type { IronicConfig } from '../config.js';

/**
 * The list filter that keeps a backend to its shard (config `shard`): every listing of its pool
 * (nodes, ports, the nodes it enrolls) carries it, so directors that share one Ironic, each with
 * a shard of its own, never see each other's nodes. Nothing without a shard.
 */
export function inShard(config: Pick<IronicConfig, 'shard'>): { readonly shard?: string } {
  return config.shard === undefined ? {} : { shard: config.shard };
}
