import { CpiError, type Networks } from '@hybrid-cpi/core';

export interface NodePort {
  readonly address: string;
  readonly physical_network?: string | null;
  readonly pxe_enabled?: boolean;
}

export type NetworkSettings = Record<string, Record<string, unknown>>;

/**
 * Gives every BOSH network the lower-case MAC of the node's NIC it belongs to: on a server with
 * several NICs the agent ignores a network without one (docs/architecture.md#the-protocol). The NIC is
 * named by the network's `cloud_properties.macs` (a list over all servers: the one this node
 * owns) or `cloud_properties.physical_network` (the Ironic port's); a single network without
 * either goes to the PXE NIC. Vip networks are addresses, not NICs, and get none.
 */
export function assignMacs(networks: Networks, ports: readonly NodePort[], nodeName: string): NetworkSettings {
  const nics = ports.map((p) => ({ ...p, address: p.address.toLowerCase() }));
  const used = new Set<string>();
  const nicNetworks = Object.entries(networks).filter(([, n]) => n['type'] !== 'vip');
  const result: NetworkSettings = {};
  for (const [name, network] of Object.entries(networks)) {
    const settings: Record<string, unknown> = { ...network };
    if (network['type'] !== 'vip') {
      const mac = macFor(name, network, nics, used, nicNetworks.length, nodeName);
      used.add(mac);
      settings['mac'] = mac;
    }
    result[name] = settings;
  }
  return result;
}

function macFor(
  name: string,
  network: Readonly<Record<string, unknown>>,
  nics: readonly NodePort[],
  used: ReadonlySet<string>,
  nicNetworkCount: number,
  nodeName: string,
): string {
  const doing = `Matching network '${name}' to a NIC of node ${nodeName}`;
  const props = (network['cloud_properties'] ?? {}) as Record<string, unknown>;
  if (typeof network['mac'] === 'string') return network['mac'].toLowerCase();
  if (Array.isArray(props['macs'])) {
    const wanted = new Set((props['macs'] as unknown[]).map((m) => String(m).toLowerCase()));
    const nic = nics.find((n) => wanted.has(n.address));
    if (nic === undefined)
      throw new CpiError(
        'CPX_VM_CREATION_FAILED',
        `${doing}: none of its cloud_properties.macs is a port of the node (${nics.map((n) => n.address).join(', ')})`,
      );
    return nic.address;
  }
  if (typeof props['physical_network'] === 'string') {
    const nic = nics.find((n) => n.physical_network === props['physical_network'] && !used.has(n.address));
    if (nic === undefined)
      throw new CpiError('CPX_VM_CREATION_FAILED', `${doing}: the node has no free port on physical_network '${props['physical_network']}'`);
    return nic.address;
  }
  if (nicNetworkCount === 1) {
    const nic = nics.find((n) => n.pxe_enabled !== false) ?? nics[0];
    if (nic === undefined) throw new CpiError('CPX_VM_CREATION_FAILED', `${doing}: the node has no ports; enroll its NICs as Ironic ports`);
    return nic.address;
  }
  throw new CpiError(
    'CPX_VM_CREATION_FAILED',
    `${doing}: with several networks, each needs cloud_properties.macs or cloud_properties.physical_network in its subnet to say which NIC it uses`,
  );
}
