import { CpiError } from '@hybrid-cpi/core';
import { callOptions, type CallOptions } from './call-options.js';
import type { IronicClient } from './client.js';
import { isIronicHttpError } from './errors.js';
import { SHARDS } from './microversions.js';

/** A shard as `GET /v1/shards` lists it. */
export interface Shard {
  readonly name: string;
  /** How many nodes it has. */
  readonly count: number;
}

/** `GET /v1/shards` (since 1.82): the shards that have nodes, none for the nodes without one. */
export async function listShards(client: IronicClient, options: CallOptions = {}): Promise<Shard[]> {
  const { body } = await client.request<{ shards?: Shard[] }>('GET', '/v1/shards', {
    microversion: client.at(SHARDS),
    ...callOptions(options, 'Listing the Ironic shards'),
  });
  return body?.shards ?? [];
}

/**
 * What to throw for an `error` of a request about `shard`: a server older than {@link SHARDS}
 * refuses the microversion (406), which is a config error (the backend names a shard this Ironic
 * cannot have); anything else as it is.
 */
export async function shardError(client: IronicClient, error: unknown, shard: string, doing: string): Promise<unknown> {
  if (!isIronicHttpError(error) || error.status !== 406) return error;
  // The 406 answer carried the server's maximum, so this costs no request.
  const maximum = await client.maximum().catch(() => 'an older version');
  return new CpiError(
    'CPX_CONFIG',
    `${doing}: the backend's config names shard '${shard}', which needs Ironic API ${SHARDS} (Ironic 21.4, OpenStack 2023.1, or later), ` +
      `but Ironic at ${await client.endpoint()} offers up to ${maximum}: upgrade Ironic, or remove shard from the backend's config`,
    { cause: error },
  );
}
