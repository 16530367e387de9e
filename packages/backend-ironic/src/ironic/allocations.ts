import { callOptions, segment, type CallOptions } from './call-options.js';
import type { IronicClient } from './client.js';
import { ALLOCATION_BACKFILL, ALLOCATION_OWNER, ALLOCATIONS } from './microversions.js';
import type { AllocationState } from './states.js';
import type { Allocation, AllocationCreate } from './types.js';

type AllocationField = keyof Allocation;

/**
 * `POST /v1/allocations` → 201 in `allocating`; wait with `waitForAllocation`. A failure to find
 * a node is not an HTTP error but `state: error` with `last_error`. Only nodes with a non-null
 * `power_state` are candidates. One with a `uuid` is repeated after a broken connection: if the
 * first reached Ironic, the repeat answers 409 (that allocation exists), which the caller
 * resolves by reading it.
 */
export async function createAllocation(client: IronicClient, body: AllocationCreate, options: CallOptions = {}): Promise<Allocation> {
  const version = body.owner !== undefined ? ALLOCATION_OWNER : body.node !== undefined ? ALLOCATION_BACKFILL : ALLOCATIONS;
  const { body: created } = await client.request<Allocation>('POST', '/v1/allocations', {
    body,
    idempotent: body.uuid !== undefined,
    microversion: client.at(version),
    ...callOptions(options, `Creating an allocation${body.resource_class === undefined ? '' : ` of resource class ${body.resource_class}`}`),
  });
  return created;
}

/** `GET /v1/allocations/{uuid|name}`. */
export async function getAllocation(client: IronicClient, id: string, options: CallOptions = {}): Promise<Allocation> {
  const { body } = await client.request<Allocation>('GET', `/v1/allocations/${segment(id)}`, {
    microversion: client.at(ALLOCATIONS),
    ...callOptions(options, `Getting allocation ${id}`),
  });
  return body;
}

/**
 * `DELETE /v1/allocations/{uuid|name}` → 204; also clears the node's `instance_uuid`. Refused
 * (409) while its node is `active` and not in maintenance: undeploy the node instead, which
 * deletes the allocation.
 */
export async function deleteAllocation(client: IronicClient, id: string, options: CallOptions = {}): Promise<void> {
  await client.request('DELETE', `/v1/allocations/${segment(id)}`, {
    microversion: client.at(ALLOCATIONS),
    ...callOptions(options, `Deleting allocation ${id}`),
  });
}

export interface AllocationFilters<K extends AllocationField = AllocationField> {
  readonly node?: string;
  readonly state?: AllocationState;
  readonly resource_class?: string;
  /** Since 1.60. */
  readonly owner?: string;
  readonly fields?: readonly K[];
  readonly limit?: number;
}

/** The pages of `GET /v1/allocations` (following `next`). */
export async function* listAllocations<K extends AllocationField = AllocationField>(
  client: IronicClient,
  filters: AllocationFilters<K> = {},
  options: CallOptions = {},
): AsyncGenerator<Pick<Allocation, K>[], void, undefined> {
  yield* client.pages<Pick<Allocation, K>>('/v1/allocations', 'allocations', {
    query: { ...filters },
    microversion: client.at(filters.owner !== undefined ? ALLOCATION_OWNER : ALLOCATIONS),
    ...callOptions(options, 'Listing Ironic allocations'),
  });
}
