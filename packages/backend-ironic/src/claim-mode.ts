import type { IronicConfig } from './config.js';
import type { IronicClient } from './ironic/client.js';
import { ALLOCATIONS, compareVersions, discoverVersions } from './ironic/microversions.js';

/**
 * Whether nodes are claimed through the Allocation API: as `claim` says, or, with `auto`, when
 * Ironic offers it. The Allocation API takes only nodes with a resource_class.
 */
export function claimsByAllocation(config: IronicConfig, client: IronicClient, signal?: AbortSignal): Promise<boolean> {
  if (config.claim === 'allocation') return Promise.resolve(true);
  if (config.claim === 'instance_uuid') return Promise.resolve(false);
  return discoverVersions(client, signal === undefined ? {} : { signal }).then((range) => compareVersions(range.max, ALLOCATIONS) >= 0);
}
