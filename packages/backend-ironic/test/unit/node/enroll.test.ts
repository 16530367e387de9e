// Enrollment at the wire level: create_vm of a server Ironic does not know yet (cloud_properties
// ironic_params and macs), through createIronicBackend on a MockAgent.
import { describe, expect, it } from 'vitest';
import type { CreateVmRequest, NativeCid } from '@hybrid-cpi/core';
import { vmCidFor } from '../../../src/node/vm-cid.js';
import { encodeStemcellCid } from '../../../src/stemcell/cid.js';
import { NODE, ironicError, nodeFixture } from '../ironic/helpers.js';
import { call, deployOf, recordWithSlot, useWire, type Wire } from '../wire.js';

const wire = useWire();
const AGENT_ID = 'agent-enroll';
const CID = vmCidFor(AGENT_ID);
const MAC = '52:54:00:aa:bb:07';
const PARAMS = { driver: 'ipmi', driver_info: { ipmi_address: '10.1.0.7', ipmi_username: 'admin', ipmi_password: 'pw' }, resource_class: 'bm.small' };
const REQUEST: CreateVmRequest = {
  agentId: AGENT_ID,
  stemcellCid: encodeStemcellCid({ diskFormat: 'raw', hashAlgo: 'md5', hash: 'b'.repeat(32), url: 'http://images.test/sc.raw' }) as NativeCid<'stemcell'>,
  cloudProperties: { ironic_params: PARAMS, macs: [MAC.toUpperCase()] },
  networks: { default: { type: 'dynamic', cloud_properties: {} } },
  diskCids: [],
  env: {},
};
const RECORD = { cid: CID, agent_id: AGENT_ID, enrolled: true };

/** create_vm finds no earlier node and no port with the MAC: it enrolls the node and claims it. */
function enrolls(w: Wire): void {
  w.claimedBy(CID, undefined);
  w.on({ method: 'GET', path: '/v1/ports', query: { address: MAC, fields: 'node_uuid,address' } }, 200, { ports: [], next: null });
  w.on({ method: 'POST', path: '/v1/nodes', body: { ...PARAMS, extra: { bosh_vm: RECORD } } }, 201, {
    ...nodeFixture({ provision_state: 'enroll', power_state: null, extra: { bosh_vm: RECORD } }),
  });
  w.on({ method: 'PATCH', path: `/v1/nodes/${NODE}`, body: [{ op: 'add', path: '/instance_uuid', value: CID }] }, 200, {
    ...nodeFixture({ provision_state: 'enroll', instance_uuid: CID }),
  });
}

describe('create_vm enrolls a server Ironic does not know', () => {
  it('node (claimed by the VM from its first moment), ports, manage, provide; then the deploy', async () => {
    const w = await wire();
    enrolls(w);
    w.on({ method: 'POST', path: '/v1/ports', body: { node_uuid: NODE, address: MAC } }, 201, { uuid: 'p-1', address: MAC, node_uuid: NODE });
    w.on({ method: 'PUT', path: `/v1/nodes/${NODE}/states/provision`, body: { target: 'manage' } }, 202);
    w.on({ method: 'GET', path: `/v1/nodes/${NODE}` }, 200, nodeFixture({ provision_state: 'verifying', target_provision_state: 'manageable' }));
    w.on({ method: 'GET', path: `/v1/nodes/${NODE}` }, 200, nodeFixture({ provision_state: 'manageable', instance_uuid: CID }));
    w.on({ method: 'PUT', path: `/v1/nodes/${NODE}/states/provision`, body: { target: 'provide' } }, 202);
    w.on({ method: 'GET', path: `/v1/nodes/${NODE}` }, 200, nodeFixture({ provision_state: 'available', instance_uuid: CID }));
    // The deploy, as on any claimed node; the record says the CPI enrolled it (delete_vm deletes it).
    const claimed = nodeFixture({ instance_uuid: CID, extra: { bosh_vm: RECORD } });
    w.on({ method: 'GET', path: `/v1/nodes/${NODE}` }, 200, claimed);
    const instanceInfo = {
      image_source: 'http://images.test/sc.raw',
      image_disk_format: 'raw',
      image_type: 'whole-disk',
      image_checksum: 'b'.repeat(32),
      root_gb: 20,
    };
    const record = { ...RECORD, devices: { system: '/dev/sda', ephemeral: '/dev/sdb' } };
    w.on(
      {
        method: 'PATCH',
        path: `/v1/nodes/${NODE}`,
        body: recordWithSlot(record, { op: 'add', path: '/instance_info', value: instanceInfo }),
      },
      200,
      claimed,
    );
    w.nics(NODE, MAC);
    w.deploySlots();
    const deploy = deployOf('active');
    w.on({ method: 'PUT', path: `/v1/nodes/${NODE}/states/provision`, body: deploy.body }, 202);
    w.on({ method: 'GET', path: `/v1/nodes/${NODE}` }, 200, { ...claimed, provision_state: 'active' });

    expect(await w.backend.createVm(call('create_vm'), REQUEST)).toEqual({
      cid: CID,
      networks: { default: { type: 'dynamic', cloud_properties: {}, mac: MAC } },
    });
    expect((deploy.drive().userData as { agent_id: string }).agent_id).toBe(AGENT_ID);
    expect(w.logs.filter((l) => l.msg === 'enrolled node').map((l) => l.fields)).toEqual([{ global_request_id: expect.any(String), vm: CID, node: NODE }]);
  });

  it('a server another create_vm enrolled at the same time (its port exists: 409): the half-enrolled node is deleted, and a retry may succeed', async () => {
    const w = await wire();
    enrolls(w);
    w.on({ method: 'POST', path: '/v1/ports', body: { node_uuid: NODE, address: MAC } }, 409, ironicError(`A port with MAC address ${MAC} already exists.`));
    w.on({ method: 'DELETE', path: `/v1/nodes/${NODE}` }, 204);

    await expect(w.backend.createVm(call('create_vm'), REQUEST)).rejects.toMatchObject({
      code: 'CPX_VM_CREATION_FAILED',
      okToRetry: true,
      message: `Enrolling a node with MACs ${MAC} for VM ${CID}: another VM enrolled the same server at the same time`,
    });
  });

  it('a server whose MAC Ironic knows is chosen, not enrolled', async () => {
    const w = await wire({ claim: 'instance_uuid' });
    w.claimedBy(CID, undefined);
    // The MAC is known (so no enrollment), then selection by MAC: which node owns it, then the free
    // nodes (none here: it is taken).
    w.on({ method: 'GET', path: '/v1/ports', query: { address: MAC, fields: 'node_uuid,address' } }, 200, {
      ports: [{ node_uuid: NODE, address: MAC }],
      next: null,
    });
    w.on({ method: 'GET', path: '/v1/ports', query: { address: MAC, fields: 'node_uuid,address' } }, 200, {
      ports: [{ node_uuid: NODE, address: MAC }],
      next: null,
    });
    const fields =
      'uuid,name,provision_state,power_state,maintenance,fault,instance_uuid,resource_class,conductor_group,properties,traits,extra,retired,retired_reason';
    const query = { provision_state: 'available', associated: 'false', maintenance: 'false', fields, limit: '1000' };
    w.on({ method: 'GET', path: '/v1/nodes', microversion: '1.61', query }, 200, { nodes: [], next: null });
    w.on({ method: 'GET', path: '/v1/nodes', microversion: '1.61', query: { fields, limit: '1000' } }, 200, {
      nodes: [{ ...nodeFixture({ provision_state: 'active', instance_uuid: 'c0ffee00-0000-4000-8000-000000000000' }), retired: false, retired_reason: null }],
      next: null,
    });

    await expect(w.backend.createVm(call('create_vm'), REQUEST)).rejects.toMatchObject({
      code: 'CPX_VM_CREATION_FAILED',
      okToRetry: false,
      message: expect.stringMatching(/no free node matches the vm_type's cloud_properties\. node-1 \(.*\): provision state is 'active', not 'available'$/),
    });
  });
});
