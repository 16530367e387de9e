// Coming from the older Python Ironic CPI: its published example cloud-config
// (test/fixtures/python-ironic-cpi/cloud-config.yml) against a real Ironic whose nodes own the MACs
// it names, through the built executable: `validate` routes and matches every vm_type, and finds
// the one thing that differs here (its disk_type's `device` is the root device); a create_vm per
// vm_type takes the server the old CPI would have taken, without enrolling any; the disk_type's
// `device` key is the device hint of create_disk. docs/migrating.md is the prose of this test.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIronic, type IronicLab } from '../support/ironic-lab.js';
import { LOCAL_DISKS, api, enrollFakeNode, waitFor, type FakeNode } from '../support/ironic-nodes.js';
import { Cpi, REPO_ROOT, Workspace, describeRun, runCpi } from './helpers/cpi.js';
import { expectGolden, normalise, runCommand } from './helpers/golden.js';

const CLOUD_CONFIG = path.join(REPO_ROOT, 'test/fixtures/python-ironic-cpi/cloud-config.yml');
const STEMCELL = `metal:qcow2:sha256:${'b'.repeat(64)}:http://127.0.0.1:9/stemcell.qcow2`;
const ws = new Workspace('python-cpi');
let lab: IronicLab;
let config: string;
const servers: Record<string, FakeNode> = {};

interface Named {
  name: string;
  cloud_properties?: Record<string, unknown>;
  subnets?: { cloud_properties?: Record<string, unknown> }[];
  type?: string;
}
const cloud = YAML.parse(fs.readFileSync(CLOUD_CONFIG, 'utf8')) as {
  azs: Named[];
  vm_types: Named[];
  disk_types: (Named & { disk_size: number })[];
  networks: Named[];
};

beforeAll(async () => {
  lab = await startIronic();
  // The servers of the example, enrolled ahead of time as its README shows (by MAC, with their
  // hardware properties and, here, their local disks), and provided: the old CPI's "predefined" nodes.
  const server = (name: string, macs: string[], memory: number, cpus: number, localGb: number) =>
    enrollFakeNode(lab, { name, macs, properties: { memory_mb: memory, cpus, local_gb: localGb, cpu_arch: 'x86_64', disks: LOCAL_DISKS } });
  servers['lab1'] = await server('lab1', ['e4:1f:13:e6:33:3c', 'e4:1f:13:e6:33:3e'], 100000, 16, 256);
  servers['lab2'] = await server(
    'lab2',
    ['e4:1f:13:e6:d6:d4', 'e4:1f:13:e6:d6:d6', '00:0a:cd:26:f1:79', '00:0a:cd:26:f1:7a', 'e6:1f:13:e8:c4:eb'],
    200000,
    32,
    512,
  );
  servers['lab3'] = await server('lab3', ['e4:1f:13:e6:3d:38', 'e4:1f:13:e6:3d:3a', '00:0a:cd:26:f2:1c', '00:0a:cd:26:f2:1b'], 100000, 16, 256);
  config = ws.writeConfig('cpi.json', {
    default_backend: 'metal',
    agent: { mbus: 'nats://10.0.0.6:4222' },
    backends: { metal: { type: 'ironic', ironic: { url: lab.url, auth: { type: 'noauth' } } } },
  });
});
afterAll(async () => {
  await lab?.stop();
  ws.cleanup();
});

describe('the Python Ironic CPI example cloud-config', () => {
  it(
    'validate: servers without a resource_class cannot be claimed; given one, every vm_type matches its server and the disk_type whose device is ' +
      "/dev/sda is refused in create_disk's words",
    async () => {
      // Its servers were enrolled without a resource_class (the README's commands set none), and
      // this Ironic has the Allocation API, which create_vm claims through (claim: auto).
      const before = await runCommand(['validate', '--config', config, '--cloud-config', CLOUD_CONFIG], ws.dir);
      expect(before.exitCode, describeRun(before)).toBe(1);
      for (const vmType of cloud.vm_types)
        expect(before.stdout).toMatch(
          new RegExp(
            `^ {2}${vmType.name} in dogo: metal \\(ironic\\): matched by 1 node, 1 free now, but 1 of them cannot take it\n {4}lab\\d \\(\\S+\\): has ` +
              `no resource_class, which the Allocation API needs`,
            'm',
          ),
        );
      expect(before.stdout).toContain('6 findings.');
      for (const node of Object.values(servers))
        await api(lab, 'PATCH', `/v1/nodes/${node.uuid}`, [{ op: 'add', path: '/resource_class', value: 'baremetal' }]);

      const run = await runCommand(['validate', '--config', config, '--cloud-config', CLOUD_CONFIG], ws.dir);
      expect(run.exitCode, describeRun(run)).toBe(1);
      const out = normalise(run.stdout, { '<ws>': ws.dir });
      await expectGolden('python-cpi-validate.txt', out);
      for (const vmType of cloud.vm_types)
        expect(out).toMatch(new RegExp(`^ {2}${vmType.name} in dogo: metal \\(ironic\\): matched by 1 node, 1 free now$`, 'm'));
      expect(out).toContain('default: metal (ironic): matched by 3 nodes, 3 free now, but no node has a device that can hold it');
      expect(out).toContain(
        'Creating a 10000 MiB disk on node lab1: no device can take it (/dev/sdd: does not match the persistent_disk hint; /dev/sda: the root device;',
      );
      expect(out).toContain('1 finding.');
    },
  );

  it('a create_vm per vm_type takes the server of its MACs or properties, enrolls none, and delete_vm gives it back', async () => {
    const cpi = new Cpi(config, ws.dir);
    const az = cloud.azs[0]!.cloud_properties!;
    const networks = Object.fromEntries(cloud.networks.map((n) => [n.name, n]));
    // As its instance groups would: the NIC named by the `default` subnet's macs, else the PXE NIC.
    const network = (server: string) =>
      server === 'lab3'
        ? {
            default: {
              type: 'manual',
              ip: '10.0.0.248',
              netmask: '255.255.255.0',
              gateway: '10.0.0.1',
              dns: ['8.8.8.8'],
              default: ['dns', 'gateway'],
              cloud_properties: networks['default']!.subnets![0]!.cloud_properties,
            },
          }
        : { compilation: { type: 'dynamic', cloud_properties: {} } };
    const expected: Record<string, string> = {
      'pe-prod-dogo-lab-01': 'lab1',
      'pe-prod-dogo-lab-02': 'lab2',
      'pe-prod-dogo-lab-03': 'lab3',
      'mac-03': 'lab3',
      'pool-01': 'lab2',
    };
    const nodesBefore = (await api(lab, 'GET', '/v1/nodes')).nodes.length;
    for (const vmType of cloud.vm_types) {
      const server = expected[vmType.name]!;
      const [vm, settings] = await cpi.ok<[string, Record<string, { mac?: string }>]>(
        'create_vm',
        [`agent-${vmType.name}`, STEMCELL, { ...az, ...vmType.cloud_properties }, network(server), [], {}],
        { apiVersion: 2 },
      );
      const node = await api(lab, 'GET', `/v1/nodes/${servers[server]!.uuid}`);
      expect([vmType.name, node.instance_uuid, node.provision_state]).toEqual([vmType.name, vm.replace(/^metal:/, ''), 'active']);
      expect(servers[server]!.macs).toContain(Object.values(settings)[0]!.mac);
      if (vmType.name === 'pe-prod-dogo-lab-01') await diskByDeviceKey(cpi, vm, node.uuid);
      await cpi.ok('delete_vm', [vm], { apiVersion: 2 });
      await waitFor(lab, node.uuid, 'available');
    }
    // The servers were known: ironic_params enrolled nothing.
    expect((await api(lab, 'GET', '/v1/nodes')).nodes.length).toBe(nodesBefore);
  });
});

/** The disk_type's `device` is create_disk's device hint: the example's /dev/sda (the root device) is refused, /dev/sdc is taken. */
async function diskByDeviceKey(cpi: Cpi, vm: string, node: string): Promise<void> {
  const diskType = cloud.disk_types[0]!;
  const refused = await cpi.fails('Bosh::Clouds::CloudError', 'create_disk', [diskType.disk_size, diskType.cloud_properties, vm], { apiVersion: 2 });
  expect(refused.message).toMatch(/^Creating a 10000 MiB disk for VM \S+ on node lab1: no device can take it \(.*\/dev\/sda: the root device/);
  const disk = await cpi.ok<string>('create_disk', [diskType.disk_size, { device: '/dev/sdc' }, vm], { apiVersion: 2 });
  const { extra } = await api(lab, 'GET', `/v1/nodes/${node}`);
  expect(extra.bosh_disks[disk.split('.')[1]!]).toMatchObject({ device: '/dev/sdc', size_mb: 10000 });
  await cpi.ok('delete_disk', [disk], { apiVersion: 2 });
  expect((await runCpi(config, { method: 'has_disk', arguments: [disk], context: {}, api_version: 2 }, { tmp: ws.dir })).stdout).toContain('"result":false');
}
