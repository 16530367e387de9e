import { describe, expect, it } from 'vitest';
import { assignMacs } from '../../../src/config-drive/networks.js';
import { agentSettings } from '../../../src/config-drive/agent-settings.js';
import { configDriveFiles, networkData } from '../../../src/config-drive/files.js';

const ports = [
  { address: '52:54:00:AA:00:01', physical_network: 'provisioning', pxe_enabled: true },
  { address: '52:54:00:AA:00:02', physical_network: 'storage', pxe_enabled: false },
];
const manual = { type: 'manual', ip: '10.0.0.5', netmask: '255.255.255.0', gateway: '10.0.0.1', default: ['dns', 'gateway'], dns: ['10.0.0.2'] };

describe('assignMacs', () => {
  it('gives a single network the PXE NIC, in lower case', () => {
    expect(assignMacs({ default: { ...manual, cloud_properties: {} } }, ports, 'n1')['default']).toMatchObject({ ip: '10.0.0.5', mac: '52:54:00:aa:00:01' });
  });

  it('matches networks by cloud_properties.macs and physical_network, and leaves vip networks alone', () => {
    const networks = {
      storage: { type: 'manual', ip: '10.1.0.5', netmask: '255.255.255.0', cloud_properties: { physical_network: 'storage' } },
      default: { ...manual, cloud_properties: { macs: ['52:54:00:AA:00:01', '52:54:00:bb:00:01'] } },
      public: { type: 'vip', ip: '1.2.3.4', cloud_properties: {} },
    };
    const result = assignMacs(networks, ports, 'n1');
    expect([result['storage']?.['mac'], result['default']?.['mac'], result['public']?.['mac']]).toEqual(['52:54:00:aa:00:02', '52:54:00:aa:00:01', undefined]);
  });

  it('refuses to guess with several networks and no hint', () => {
    expect(() => assignMacs({ a: { type: 'dynamic', cloud_properties: {} }, b: { type: 'dynamic', cloud_properties: {} } }, ports, 'n1')).toThrowError(
      /Matching network 'a' to a NIC of node n1: with several networks, each needs cloud_properties.macs or cloud_properties.physical_network/,
    );
  });

  it('says when the named NIC is not on the node', () => {
    expect(() => assignMacs({ a: { type: 'dynamic', cloud_properties: { macs: ['00:00:00:00:00:09'] } } }, ports, 'n1')).toThrowError(
      /none of its cloud_properties.macs is a port of the node/,
    );
  });
});

describe('agent settings and the config drive', () => {
  const networks = assignMacs({ default: { ...manual, cloud_properties: {} } }, ports, 'n1');
  const settings = agentSettings({
    agentId: 'agent-1',
    vmCid: 'cid-1',
    agent: { mbus: 'nats://10.0.0.6:4222', ntp: ['ntp.example'], blobstore: { provider: 'dav', options: { endpoint: 'http://b' } } },
    env: { bosh: { group: 'g' } },
    networks,
    disks: { system: '/dev/sda', ephemeral: '/dev/sdb', persistent: {} },
  });

  it('holds everything the agent needs without a registry', () => {
    expect(settings).toEqual({
      agent_id: 'agent-1',
      vm: { name: 'cid-1' },
      mbus: 'nats://10.0.0.6:4222',
      ntp: ['ntp.example'],
      blobstore: { provider: 'dav', options: { endpoint: 'http://b' } },
      disks: { system: '/dev/sda', ephemeral: '/dev/sdb', persistent: {} },
      networks,
      env: { bosh: { group: 'g' } },
    });
  });

  it('writes the EC2 and OpenStack files, with SSH keys in the meta-data', () => {
    const files = Object.fromEntries(
      configDriveFiles({ vmCid: 'cid-1', hostname: 'cid-1', settings, networks, sshPublicKeys: ['ssh-ed25519 AAA op'], nameservers: ['9.9.9.9'] }).map((f) => [
        f.path,
        JSON.parse(f.content),
      ]),
    );
    expect(Object.keys(files).sort()).toEqual([
      'ec2/latest/meta-data.json',
      'ec2/latest/user-data',
      'openstack/latest/meta_data.json',
      'openstack/latest/network_data.json',
      'openstack/latest/user_data',
    ]);
    expect(files['ec2/latest/user-data']).toEqual(settings);
    expect(files['ec2/latest/meta-data.json']).toEqual({
      'instance-id': 'cid-1',
      hostname: 'cid-1',
      'public-keys': { 0: { 'openssh-key': 'ssh-ed25519 AAA op' } },
    });
  });

  it('describes static and DHCP networks in network_data.json', () => {
    expect(networkData({ ...networks, dhcp: { type: 'dynamic', mac: '52:54:00:aa:00:02' } }, ['9.9.9.9'])).toEqual({
      links: [
        { id: 'nic-525400aa0001', type: 'phy', ethernet_mac_address: '52:54:00:aa:00:01' },
        { id: 'nic-525400aa0002', type: 'phy', ethernet_mac_address: '52:54:00:aa:00:02' },
      ],
      networks: [
        {
          id: 'default',
          link: 'nic-525400aa0001',
          type: 'ipv4',
          ip_address: '10.0.0.5',
          netmask: '255.255.255.0',
          routes: [{ network: '0.0.0.0', netmask: '0.0.0.0', gateway: '10.0.0.1' }],
        },
        { id: 'dhcp', link: 'nic-525400aa0002', type: 'ipv4_dhcp' },
      ],
      services: [
        { type: 'dns', address: '9.9.9.9' },
        { type: 'dns', address: '10.0.0.2' },
      ],
    });
  });
});
