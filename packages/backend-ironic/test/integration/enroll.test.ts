import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '@hybrid-cpi/core';
import { api, enrollFakeNode, randomMac, removeNodes } from '../../../../test/support/ironic-nodes.js';
import { STEMCELL, call, makeBackend, sharedLab } from './helpers.js';

const lab = sharedLab();
let backend: Backend;
beforeAll(async () => {
  backend = await makeBackend(lab);
});
afterAll(async () => backend.close?.());

const params = (rc: string) => ({
  driver: 'fake-hardware',
  driver_info: { ipmi_address: '10.9.0.5', ipmi_password: 'bmc-secret' },
  properties: { memory_mb: 4096, cpus: 2, local_gb: 50, cpu_arch: 'x86_64' },
  resource_class: rc,
});

async function create(agentId: string, cloudProperties: Record<string, unknown>) {
  return backend.createVm(call('create_vm'), {
    agentId,
    stemcellCid: STEMCELL,
    cloudProperties,
    networks: { n: { type: 'dynamic', cloud_properties: {} } },
    diskCids: [],
    env: {},
  });
}

describe('enrollment from ironic_params', () => {
  it('enrolls a server Ironic does not know, deploys it, and delete_vm deletes it', async () => {
    const mac = randomMac();
    const rc = `enroll-${randomUUID().slice(0, 8)}`;
    const vm = await create(`agent-${randomUUID()}`, { macs: [mac], ironic_params: params(rc) });
    const [node] = (await api(lab, 'GET', `/v1/nodes?instance_uuid=${vm.cid}&fields=uuid,provision_state,resource_class,driver_info,extra`)).nodes;
    expect(node).toMatchObject({ provision_state: 'active', resource_class: rc, extra: { bosh_vm: { cid: vm.cid, enrolled: true } } });
    expect((await api(lab, 'GET', `/v1/ports?address=${mac}&fields=node_uuid`)).ports.map((p: { node_uuid: string }) => p.node_uuid)).toEqual([node.uuid]);
    expect(vm.networks['n']?.['mac']).toBe(mac);
    await backend.setVmMetadata!(call('set_vm_metadata'), vm.cid, { deployment: 'cf', job: 'Diego_Cell', index: '3' });
    expect((await api(lab, 'GET', `/v1/nodes/${node.uuid}`)).name).toMatch(/^cf-diego_cell-3(-[0-9a-f]{8})?$/);

    await backend.deleteVm(call('delete_vm'), vm.cid);
    await expect(api(lab, 'GET', `/v1/nodes/${node.uuid}`)).rejects.toThrowError(/404/);
  });

  it('chooses a server Ironic knows already, and delete_vm keeps it', async () => {
    const known = await enrollFakeNode(lab, { resourceClass: `known-${randomUUID().slice(0, 8)}` });
    try {
      const vm = await create(`agent-${randomUUID()}`, { macs: known.macs, ironic_params: params('unused') });
      expect((await api(lab, 'GET', `/v1/nodes?instance_uuid=${vm.cid}&fields=uuid`)).nodes.map((n: { uuid: string }) => n.uuid)).toEqual([known.uuid]);
      await backend.deleteVm(call('delete_vm'), vm.cid);
      expect(await api(lab, 'GET', `/v1/nodes/${known.uuid}`)).toMatchObject({ provision_state: 'available', instance_uuid: null, extra: {} });
    } finally {
      await removeNodes(lab, [known.uuid]);
    }
  });

  it('refuses ironic_params without the MACs to enroll', async () => {
    await expect(create('agent-x', { ironic_params: params('x') })).rejects.toThrowError(
      /ironic_params of create_vm: needs the server's MACs in cloud_properties.macs/,
    );
  });
});
