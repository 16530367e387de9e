import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeConformance } from '@hybrid-cpi/core/testing';
import { api, enrollFakeNodes, removeNodes, type FakeNode } from '../../../../test/support/ironic-nodes.js';
import { startWebDav, type WebDavLab } from '../../../../test/support/webdav-lab.js';
import { STEMCELL, call, makeBackend, sharedLab, storedConfigDrive } from './helpers.js';

const lab = sharedLab();
// Each file claims only its own nodes: a resource class no other test uses.
const resourceClass = `conformance-${randomUUID().slice(0, 8)}`;
let nodes: FakeNode[] = [];
beforeAll(async () => {
  nodes = await enrollFakeNodes(lab, 2, () => ({ resourceClass }));
});
afterAll(async () =>
  removeNodes(
    lab,
    nodes.map((n) => n.uuid),
  ),
);

for (const claim of ['allocation', 'instance_uuid'] as const) {
  describeConformance({ describe, it }, `ironic backend, claims by ${claim}`, {
    makeBackend: () => makeBackend(lab, { claim }),
    parts: { stemcells: false, vms: true, disks: true },
    existingStemcell: STEMCELL,
    stemcell: { imagePath: '/dev/null', cloudProperties: {} },
    vm: { cloudProperties: { resource_class: resourceClass }, networks: { default: { type: 'dynamic', cloud_properties: {} } } },
    disk: { size: 1024, cloudProperties: {} },
  });
}

// The whole suite, stemcells included: a heavy OpenStack stemcell uploaded to a real WebDAV store.
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ironic-conformance-'));
const image = path.join(work, 'image');
let store: WebDavLab;
beforeAll(async () => {
  store = await startWebDav();
  fs.writeFileSync(path.join(work, 'root.img'), Buffer.alloc(4 << 20, 'root'));
  const tar = spawnSync('tar', ['-czf', image, '-C', work, 'root.img']);
  if (tar.status !== 0) throw new Error(`packing the stemcell: ${tar.stderr}`);
});
afterAll(async () => {
  await store?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});
describeConformance({ describe, it }, 'ironic backend, stemcells uploaded to WebDAV', {
  makeBackend: () => makeBackend(lab, { image_store: { type: 'webdav', url: `${store.url}/images`, username: store.username!, password: store.password! } }),
  stemcell: { imagePath: image, cloudProperties: { infrastructure: 'openstack', disk_format: 'qcow2', container_format: 'bare' } },
  vm: { cloudProperties: { resource_class: resourceClass }, networks: { default: { type: 'dynamic', cloud_properties: {} } } },
  disk: { size: 1024, cloudProperties: {} },
});

describe('create_vm on a real Ironic', () => {
  it('deploys a config drive the agent can read, and delete_vm returns the node to the pool', async () => {
    const backend = await makeBackend(lab, { ssh_public_keys: ['ssh-ed25519 AAAAC3Nza op@example'] });
    const networks = {
      default: {
        type: 'manual',
        ip: '10.0.0.20',
        netmask: '255.255.255.0',
        gateway: '10.0.0.1',
        default: ['dns', 'gateway'],
        dns: ['10.0.0.2'],
        cloud_properties: {},
      },
    };
    const env = { bosh: { group: 'director-deployment-worker', mbus: { cert: { ca: 'CA' } } } };
    const vm = await backend.createVm(call('create_vm'), {
      agentId: 'agent-cd',
      stemcellCid: STEMCELL,
      cloudProperties: { resource_class: resourceClass },
      networks,
      diskCids: [],
      env,
    });
    const [node] = (await api(lab, 'GET', `/v1/nodes?instance_uuid=${vm.cid}&fields=uuid,provision_state,instance_info`)).nodes;
    expect(node.provision_state).toBe('active');
    const { macs } = nodes.find((n) => n.uuid === node.uuid)!;

    const files = storedConfigDrive(lab, node.uuid);
    expect(files.get('(volume id)')).toBe('config-2');
    expect([...files.keys()].filter((k) => !k.startsWith('(')).sort()).toEqual([
      'ec2/latest/meta-data.json',
      'ec2/latest/user-data',
      'openstack/latest/meta_data.json',
      'openstack/latest/network_data.json',
      'openstack/latest/user_data',
    ]);
    const settings = JSON.parse(files.get('ec2/latest/user-data')!);
    expect(settings).toMatchObject({
      agent_id: 'agent-cd',
      mbus: 'nats://10.0.0.6:4222',
      ntp: ['0.pool.ntp.org'],
      vm: { name: vm.cid },
      env,
      disks: { system: '/dev/sda', ephemeral: '/dev/sdb', persistent: {} },
    });
    expect(settings.networks.default).toMatchObject({ ip: '10.0.0.20', mac: macs[0]!.toLowerCase() });
    expect(settings.networks.default.mac).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    expect(JSON.parse(files.get('ec2/latest/meta-data.json')!)['public-keys']).toEqual({ 0: { 'openssh-key': 'ssh-ed25519 AAAAC3Nza op@example' } });
    expect(vm.networks).toEqual(settings.networks);
    expect(node.instance_info).toMatchObject({ image_source: 'http://127.0.0.1:9/stemcell.qcow2', image_os_hash_algo: 'sha256', image_disk_format: 'qcow2' });

    await backend.setVmMetadata!(call('set_vm_metadata'), vm.cid, { deployment: 'cf', job: 'diego-cell', index: '0' });
    expect((await api(lab, 'GET', `/v1/nodes/${node.uuid}`)).extra.bosh_vm).toEqual({
      cid: vm.cid,
      agent_id: 'agent-cd',
      enrolled: false,
      devices: { system: '/dev/sda', ephemeral: '/dev/sdb' },
      metadata: { deployment: 'cf', job: 'diego-cell', index: '0' },
      // The instance group (failure domains count it) and the mark the deploy slot was held by.
      group: 'director-deployment-worker',
      deploy_slot: { queued_at: expect.any(String), held: true, at: expect.any(String) },
    });

    await backend.deleteVm(call('delete_vm'), vm.cid);
    const after = await api(lab, 'GET', `/v1/nodes/${node.uuid}`);
    expect(after).toMatchObject({ provision_state: 'available', instance_uuid: null, instance_info: {}, extra: {} });
    expect(await backend.hasVm(call('has_vm'), vm.cid)).toBe(false);
    await backend.close?.();
  });

  it('a retried create_vm with the same agent_id continues the node an earlier try claimed', async () => {
    const backend = await makeBackend(lab, { claim: 'instance_uuid' });
    const first = await backend.createVm(call('create_vm'), {
      agentId: 'agent-retry',
      stemcellCid: STEMCELL,
      cloudProperties: { resource_class: resourceClass },
      networks: { n: { type: 'dynamic', cloud_properties: {} } },
      diskCids: [],
      env: {},
    });
    const again = await backend.createVm(call('create_vm'), {
      agentId: 'agent-retry',
      stemcellCid: STEMCELL,
      cloudProperties: { resource_class: resourceClass },
      networks: { n: { type: 'dynamic', cloud_properties: {} } },
      diskCids: [],
      env: {},
    });
    expect(again.cid).toBe(first.cid);
    expect((await api(lab, 'GET', `/v1/nodes?instance_uuid=${first.cid}`)).nodes).toHaveLength(1);
    await backend.deleteVm(call('delete_vm'), first.cid);
    await backend.close?.();
  });
});
