import type { IronicClient } from '../ironic/client.js';
import { listPorts } from '../ironic/ports.js';

/** Node UUID → which of `macs` its ports own, from one port look-up per MAC (as create_vm selects). */
export async function macOwners(client: IronicClient, macs: readonly string[], signal?: AbortSignal): Promise<Map<string, string[]>> {
  const owners = new Map<string, string[]>();
  for (const address of macs) {
    const options = { doing: `Looking up the port with MAC ${address}`, ...(signal === undefined ? {} : { signal }) };
    for await (const page of listPorts(client, { address, fields: ['node_uuid', 'address'] }, options)) {
      for (const port of page) owners.set(port.node_uuid, [...(owners.get(port.node_uuid) ?? []), address]);
    }
  }
  return owners;
}
