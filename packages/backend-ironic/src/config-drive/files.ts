import type { NetworkSettings } from './networks.js';

export interface ConfigDriveInput {
  readonly vmCid: string;
  readonly hostname: string;
  readonly settings: Readonly<Record<string, unknown>>;
  readonly networks: NetworkSettings;
  readonly sshPublicKeys: readonly string[];
  readonly nameservers: readonly string[];
}

/**
 * The files of the config drive. The BOSH agent of OpenStack stemcells reads the EC2 copies
 * (`ec2/latest/*`); the `openstack/latest/*` ones serve cloud-init style tools, and
 * `network_data.json` lets a boot helper set up what the agent cannot (bonds, VLANs).
 */
export function configDriveFiles(input: ConfigDriveInput): { path: string; content: string }[] {
  const userData = JSON.stringify(input.settings);
  const keys = Object.fromEntries(input.sshPublicKeys.map((key, i) => [String(i), { 'openssh-key': key }]));
  return [
    { path: 'ec2/latest/meta-data.json', content: JSON.stringify({ 'instance-id': input.vmCid, hostname: input.hostname, 'public-keys': keys }) },
    { path: 'ec2/latest/user-data', content: userData },
    {
      path: 'openstack/latest/meta_data.json',
      content: JSON.stringify({
        uuid: input.vmCid,
        name: input.hostname,
        hostname: input.hostname,
        public_keys: Object.fromEntries(input.sshPublicKeys.map((key, i) => [String(i), key])),
      }),
    },
    { path: 'openstack/latest/user_data', content: userData },
    { path: 'openstack/latest/network_data.json', content: JSON.stringify(networkData(input.networks, input.nameservers)) },
  ];
}

/** OpenStack's network_data.json: one physical link per NIC, static or DHCP addressing. */
export function networkData(networks: NetworkSettings, nameservers: readonly string[]): Record<string, unknown> {
  const links: Record<string, unknown>[] = [];
  const nets: Record<string, unknown>[] = [];
  const dns = new Set(nameservers);
  for (const [name, n] of Object.entries(networks)) {
    if (typeof n['mac'] !== 'string') continue;
    const link = `nic-${n['mac'].replaceAll(':', '')}`;
    if (!links.some((l) => l['id'] === link)) links.push({ id: link, type: 'phy', ethernet_mac_address: n['mac'] });
    for (const server of (n['dns'] as string[] | undefined) ?? []) dns.add(server);
    const isStatic = n['type'] === 'manual' && typeof n['ip'] === 'string' && typeof n['netmask'] === 'string';
    const defaults = (n['default'] as string[] | undefined) ?? [];
    nets.push({
      id: name,
      link,
      type: isStatic ? 'ipv4' : 'ipv4_dhcp',
      ...(isStatic ? { ip_address: n['ip'], netmask: n['netmask'] } : {}),
      ...(isStatic && typeof n['gateway'] === 'string' && defaults.includes('gateway')
        ? { routes: [{ network: '0.0.0.0', netmask: '0.0.0.0', gateway: n['gateway'] }] }
        : {}),
    });
  }
  return { links, networks: nets, services: [...dns].map((address) => ({ type: 'dns', address })) };
}
