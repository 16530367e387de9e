import type { IronicClient } from '../ironic/client.js';
import { listPorts } from '../ironic/ports.js';

/**
 * Node UUID → which of `macs` its ports own (as create_vm selects): one port look-up per MAC, or,
 * in a shard, one listing of the shard's ports matched here, as Ironic ignores `shard` beside
 * `address` (the address wins) and would answer with ports of every shard.
 */
export async function macOwners(
  client: IronicClient,
  macs: readonly string[],
  options: { readonly shard?: string | undefined; readonly signal?: AbortSignal | undefined } = {},
): Promise<Map<string, string[]>> {
  const owners = new Map<string, string[]>();
  // Each MAC as the caller gave it (Ironic answers in lower case).
  const add = (node: string, mac: string) => owners.set(node, [...(owners.get(node) ?? []), mac]);
  const signal = options.signal === undefined ? {} : { signal: options.signal };
  if (options.shard !== undefined) {
    const wanted = new Map(macs.map((m) => [m.toLowerCase(), m]));
    const doing = { doing: `Looking up the ports with MACs ${macs.join(', ')} in shard ${options.shard}`, ...signal };
    for await (const page of listPorts(client, { shard: options.shard, fields: ['node_uuid', 'address'], limit: 1000 }, doing)) {
      for (const port of page) {
        const mac = wanted.get(port.address.toLowerCase());
        if (mac !== undefined) add(port.node_uuid, mac);
      }
    }
    return owners;
  }
  for (const address of macs) {
    for await (const page of listPorts(
      client,
      { address, fields: ['node_uuid', 'address'] },
      { doing: `Looking up the port with MAC ${address}`, ...signal },
    )) {
      for (const port of page) add(port.node_uuid, address);
    }
  }
  return owners;
}
