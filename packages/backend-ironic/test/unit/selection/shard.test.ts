// A backend limited to a shard (API 1.82), from the wire shapes Ironic documents: every listing of
// its pool carries the shard filter at 1.82, the nodes it enrolls are put into the shard, and an
// Ironic older than 1.82 is a config error that says so.
import { describe, expect, it } from 'vitest';
import { isCpiError } from '@hybrid-cpi/core';
import { claimNode } from '../../../src/node/claim.js';
import { enrollNode } from '../../../src/node/enroll.js';
import { createNode, listNodes } from '../../../src/ironic/nodes.js';
import { listPorts } from '../../../src/ironic/ports.js';
import { listShards } from '../../../src/ironic/shards.js';
import { macOwners } from '../../../src/selection/mac-owners.js';
import { requirementsOf } from '../../../src/selection/requirements.js';
import { nodeOfCid } from '../../../src/node/vm-node.js';
import { NODE, backendContext, expectCall, ironicError, nodeFixture, serverAt, useIronicMock, type Harness } from '../ironic/helpers.js';

const make = useIronicMock();
const FIELDS = 'uuid,name,provision_state,power_state,maintenance,fault,instance_uuid,resource_class,conductor_group,properties,traits,extra';
const CID = '0b7a4c1e-1111-5111-8111-000000000002';
const free = { uuid: 'u-1', name: 'n1', provision_state: 'available', power_state: 'power off', maintenance: false, instance_uuid: null, extra: {} };

/** Ironic's 406 to a microversion newer than it offers, with the maximum in its header. */
function tooNew(harness: Harness, method: string, path: string, maximum = '1.78') {
  return harness.pool.intercept({ method, path: (p: string) => p.split('?')[0] === path, headers: { 'x-openstack-ironic-api-version': '1.82' } }).reply(
    406,
    {
      error_message: JSON.stringify({
        code: 406,
        title: 'Not Acceptable',
        description: `Version 1.82 was requested but the minor version is not supported by this service. The supported version range is: [1.1, ${maximum}].`,
      }),
    },
    { headers: { 'x-openstack-ironic-api-minimum-version': '1.1', 'x-openstack-ironic-api-maximum-version': maximum } },
  );
}

const CONFIG_ERROR =
  "the backend's config names shard 'bosh-a', which needs Ironic API 1.82 (Ironic 21.4, OpenStack 2023.1, or later), but Ironic at " +
  "http://ironic.test:6385 offers up to 1.78: upgrade Ironic, or remove shard from the backend's config";

describe('create_vm in a shard', () => {
  const request = { cid: CID, agentId: 'a-1', requirements: requirementsOf({}), signal: new AbortController().signal };

  it('lists the free nodes of the shard only, at 1.82, and claims among them', async () => {
    const harness = make();
    serverAt(harness, '1.82');
    expectCall(harness.pool, {
      method: 'GET',
      path: '/v1/nodes',
      microversion: '1.82',
      query: {
        provision_state: 'available',
        associated: 'false',
        maintenance: 'false',
        shard: 'bosh-a',
        fields: `${FIELDS},retired,retired_reason`,
        limit: '1000',
      },
    }).reply(200, { nodes: [free], next: null });
    expectCall(harness.pool, { method: 'PATCH', path: '/v1/nodes/u-1', body: [{ op: 'add', path: '/instance_uuid', value: CID }] }).reply(200, {});
    expect(await claimNode(backendContext(harness.client, { shard: 'bosh-a' }), request)).toEqual({ uuid: 'u-1' });
  });

  it('when nothing fits, explains from a listing of the shard, and says when the shard has no nodes', async () => {
    const harness = make();
    serverAt(harness, '1.82');
    const listing = (query: Record<string, string>) =>
      expectCall(harness.pool, {
        method: 'GET',
        path: '/v1/nodes',
        microversion: '1.82',
        query: { ...query, shard: 'bosh-a', fields: `${FIELDS},retired,retired_reason`, limit: '1000' },
      });
    listing({ provision_state: 'available', associated: 'false', maintenance: 'false' }).reply(200, { nodes: [], next: null });
    listing({}).reply(200, { nodes: [], next: null });
    await expect(claimNode(backendContext(harness.client, { shard: 'bosh-a' }), request)).rejects.toThrowError(
      /no free node matches the vm_type's cloud_properties\. Ironic has no nodes in shard bosh-a$/,
    );
  });

  it('on an Ironic older than 1.82: a config error naming the shard, the server and both versions', async () => {
    const harness = make();
    serverAt(harness, '1.78');
    tooNew(harness, 'GET', '/v1/nodes');
    const error = await claimNode(backendContext(harness.client, { shard: 'bosh-a' }), request).catch((e: unknown) => e);
    expect(isCpiError(error) && error.code).toBe('CPX_CONFIG');
    expect((error as Error).message).toBe(`Listing free nodes for VM ${CID}: ${CONFIG_ERROR}`);
  });
});

describe('the other listings of a shard', () => {
  it("a VM's node is looked up within the shard", async () => {
    const harness = make();
    expectCall(harness.pool, { method: 'GET', path: '/v1/nodes', microversion: '1.82', query: { instance_uuid: CID, shard: 'bosh-a', fields: 'uuid' } }).reply(
      200,
      { nodes: [{ uuid: 'u-1' }], next: null },
    );
    expect(await nodeOfCid(backendContext(harness.client, { shard: 'bosh-a' }), CID)).toBe('u-1');
  });

  it("MACs are matched in the shard's ports (Ironic ignores shard beside address), case-insensitively, each named as given", async () => {
    const harness = make();
    expectCall(harness.pool, {
      method: 'GET',
      path: '/v1/ports',
      microversion: '1.82',
      query: { shard: 'bosh-a', fields: 'node_uuid,address', limit: '1000' },
    }).reply(200, {
      ports: [
        { node_uuid: 'u-1', address: '52:54:00:aa:bb:01' },
        { node_uuid: 'u-2', address: '52:54:00:aa:bb:02' },
        { node_uuid: 'u-1', address: '52:54:00:aa:bb:03' },
      ],
      next: null,
    });
    const owners = await macOwners(harness.client, ['52:54:00:AA:BB:01', '52:54:00:aa:bb:03', '52:54:00:aa:bb:99'], { shard: 'bosh-a' });
    expect([...owners]).toEqual([['u-1', ['52:54:00:AA:BB:01', '52:54:00:aa:bb:03']]]);
  });

  it('without a shard: one look-up per MAC, at the client microversion, as before', async () => {
    const harness = make();
    expectCall(harness.pool, { method: 'GET', path: '/v1/ports', query: { address: '52:54:00:aa:bb:01', fields: 'node_uuid,address' } }).reply(200, {
      ports: [{ node_uuid: 'u-1', address: '52:54:00:aa:bb:01' }],
      next: null,
    });
    expect([...(await macOwners(harness.client, ['52:54:00:aa:bb:01']))]).toEqual([['u-1', ['52:54:00:aa:bb:01']]]);
  });

  it('a node enrolled in a shard is created in it, at 1.82', async () => {
    const harness = make();
    const body = { driver: 'ipmi', shard: 'bosh-a' };
    expectCall(harness.pool, { method: 'POST', path: '/v1/nodes', microversion: '1.82', body }).reply(201, nodeFixture({ shard: 'bosh-a' }));
    expect((await createNode(harness.client, body)).shard).toBe('bosh-a');
  });

  it('on an Ironic older than 1.82, every request about the shard is the same config error', async () => {
    const harness = make();
    tooNew(harness, 'POST', '/v1/nodes');
    await expect(createNode(harness.client, { driver: 'ipmi', name: 'n', shard: 'bosh-a' })).rejects.toThrowError(`Enrolling node n: ${CONFIG_ERROR}`);
    tooNew(harness, 'GET', '/v1/ports/detail');
    await expect(listPorts(harness.client, { shard: 'bosh-a' }).next()).rejects.toThrowError(`Listing Ironic ports: ${CONFIG_ERROR}`);
    tooNew(harness, 'GET', '/v1/nodes/detail');
    await expect(listNodes(harness.client, { shard: 'bosh-a' }).next()).rejects.toThrowError(`Listing Ironic nodes: ${CONFIG_ERROR}`);
  });

  it('another error of a shard listing passes through as it is', async () => {
    const harness = make();
    expectCall(harness.pool, { method: 'GET', path: '/v1/nodes/detail', microversion: '1.82', query: { shard: 'bosh-a' } }).reply(
      500,
      ironicError('Database gone'),
    );
    await expect(listNodes(harness.client, { shard: 'bosh-a' }).next()).rejects.toThrowError('Listing Ironic nodes: Ironic answered 500: Database gone.');
  });
});

describe('listShards', () => {
  it('GET /v1/shards at 1.82', async () => {
    const harness = make();
    expectCall(harness.pool, { method: 'GET', path: '/v1/shards', microversion: '1.82' }).reply(200, { shards: [{ name: 'bosh-a', count: 3 }] });
    expect(await listShards(harness.client)).toEqual([{ name: 'bosh-a', count: 3 }]);
  });
});

describe('enrolling a server in a shard', () => {
  const MAC = '52:54:00:aa:bb:01';
  const params = { driver: 'ipmi', resource_class: 'bm' };
  const enroll = (harness: Harness, portAnswer: { status: number; body: object }, shardPorts: unknown[]) => {
    expectCall(harness.pool, {
      method: 'POST',
      path: '/v1/nodes',
      microversion: '1.82',
      body: { ...params, shard: 'bosh-a', extra: { bosh_vm: { cid: CID, agent_id: 'a-1', enrolled: true } } },
    }).reply(201, nodeFixture({ provision_state: 'enroll', shard: 'bosh-a' }));
    expectCall(harness.pool, { method: 'PATCH', path: `/v1/nodes/${NODE}`, body: [{ op: 'add', path: '/instance_uuid', value: CID }] }).reply(200, {});
    expectCall(harness.pool, { method: 'POST', path: '/v1/ports', body: { node_uuid: NODE, address: MAC } }).reply(portAnswer.status, portAnswer.body);
    expectCall(harness.pool, { method: 'DELETE', path: `/v1/nodes/${NODE}` }).reply(204, '');
    expectCall(harness.pool, {
      method: 'GET',
      path: '/v1/ports',
      microversion: '1.82',
      query: { shard: 'bosh-a', fields: 'node_uuid,address', limit: '1000' },
    }).reply(200, { ports: shardPorts, next: null });
    return enrollNode(backendContext(harness.client, { shard: 'bosh-a' }), params, [MAC], { cid: CID, agentId: 'a-1' }, new AbortController().signal);
  };
  const taken = { status: 409, body: ironicError(`A port with MAC address ${MAC} already exists.`) };

  it('a MAC Ironic knows outside the shard: the server is enrolled elsewhere, which no retry changes', async () => {
    const error = await enroll(make(), taken, []).catch((e: unknown) => e);
    expect(isCpiError(error) && { code: error.code, okToRetry: error.okToRetry }).toEqual({ code: 'CPX_VM_CREATION_FAILED', okToRetry: false });
    expect((error as Error).message).toBe(
      `Enrolling a node with MACs ${MAC} for VM ${CID}: Ironic has a port with one of these MACs outside shard bosh-a, the one this backend works ` +
        'in: the server is enrolled in another shard; move its node into shard bosh-a (or delete it), then retry',
    );
  });

  it('a MAC another create_vm enrolled in the shard at the same time: a retry finds that node', async () => {
    const error = await enroll(make(), taken, [{ node_uuid: 'other', address: MAC }]).catch((e: unknown) => e);
    expect(isCpiError(error) && error.okToRetry).toBe(true);
    expect((error as Error).message).toMatch(/another VM enrolled the same server at the same time$/);
  });
});
