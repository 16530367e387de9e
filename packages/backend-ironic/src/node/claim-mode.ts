import type { IronicConfig } from '../config.js';
import type { IronicClient } from '../ironic/client.js';
import { ALLOCATIONS } from '../ironic/microversions.js';

/**
 * Whether nodes are claimed through the Allocation API: as `claim` says, or, with `auto`, when
 * Ironic offers it. The Allocation API takes only nodes with a resource_class.
 */
export function claimsByAllocation(config: IronicConfig, client: IronicClient, signal?: AbortSignal): Promise<boolean> {
  if (config.claim === 'allocation') return Promise.resolve(true);
  if (config.claim === 'instance_uuid') return Promise.resolve(false);
  // The server's version is known from the call's first answer, so this costs no request.
  return client.supports(ALLOCATIONS, signal === undefined ? {} : { signal });
}
