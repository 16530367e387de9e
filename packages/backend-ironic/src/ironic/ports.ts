import { callOptions, segment, type CallOptions } from './call-options.js';
import type { IronicClient } from './client.js';
import { SHARDS } from './microversions.js';
import { shardError } from './shards.js';
import type { Port, PortCreate } from './types.js';

type PortField = keyof Port;

/**
 * Filters of `GET /v1/ports`. Use these, not `/v1/nodes/<name>/ports`: Ironic 21 answers that
 * path with a bogus 404 "Portgroup None could not be found" when given a node *name*.
 */
export type PortFilters<K extends PortField = PortField> = {
  /** A MAC; matched case-insensitively. */
  readonly address?: string;
  /**
   * Since 1.82: only the ports of this shard's nodes (the request is then sent at 1.82 at least).
   * Ironic ignores it beside `address` (the address wins) and refuses it beside `node` (400).
   */
  readonly shard?: string;
  readonly fields?: readonly K[];
  readonly limit?: number;
} & ({ readonly node?: string; readonly node_uuid?: never } | { readonly node_uuid?: string; readonly node?: never });

/**
 * The pages of `GET /v1/ports` (following `next`); an unmatched address is an empty page, not a
 * 404. With a `shard`, a server older than 1.82 is a config error ({@link shardError}).
 */
export async function* listPorts<K extends PortField = PortField>(
  client: IronicClient,
  filters: PortFilters<K> = {},
  options: CallOptions = {},
): AsyncGenerator<Pick<Port, K>[], void, undefined> {
  const { fields, ...rest } = filters;
  const call = callOptions(options, 'Listing Ironic ports');
  try {
    yield* client.pages<Pick<Port, K>>(fields === undefined ? '/v1/ports/detail' : '/v1/ports', 'ports', {
      query: { ...rest, ...(fields === undefined ? {} : { fields }) },
      ...(rest.shard === undefined ? {} : { microversion: client.at(SHARDS) }),
      ...call,
    });
  } catch (error) {
    throw rest.shard === undefined ? error : await shardError(client, error, rest.shard, call.doing);
  }
}

/** `POST /v1/ports` → 201. A MAC already in use is a 409. */
export async function createPort(client: IronicClient, body: PortCreate, options: CallOptions = {}): Promise<Port> {
  const { body: created } = await client.request<Port>('POST', '/v1/ports', {
    body,
    ...callOptions(options, `Creating port ${body.address} of node ${body.node_uuid}`),
  });
  return created;
}

/** `DELETE /v1/ports/{uuid}` → 204. */
export async function deletePort(client: IronicClient, id: string, options: CallOptions = {}): Promise<void> {
  await client.request('DELETE', `/v1/ports/${segment(id)}`, callOptions(options, `Deleting port ${id}`));
}
