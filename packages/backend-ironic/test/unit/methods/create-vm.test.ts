// create_vm at the wire level, through createIronicBackend with a MockAgent as its HTTP seam:
// every request asserted (method, path, query, microversion, JSON body, the global request id),
// beside the real-Ironic tests of test/integration, which stay.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CreateVmRequest, NativeCid } from '@hybrid-cpi/core';
import { DEFAULT_RETRY } from '../../../src/ironic/client.js';
import type { Node } from '../../../src/ironic/types.js';
import { vmCidFor } from '../../../src/node/vm-cid.js';
import { encodeStemcellCid } from '../../../src/stemcell/cid.js';
import { NODE, allocationFixture, expectCall, ironicError, nodeFixture } from '../ironic/helpers.js';
import { AGENT, call, deployOf, recordWithSlot, useWire, type Wire } from '../wire.js';

const wire = useWire();
const AGENT_ID = 'agent-1';
const CID = vmCidFor(AGENT_ID);
const OTHER = '7e5b2b9c-3d4e-4f60-8a71-0b1c2d3e4f50';
const HASH = 'a'.repeat(64);
const STEMCELL = encodeStemcellCid({ diskFormat: 'qcow2', hashAlgo: 'sha256', hash: HASH, url: 'http://images.test/sc.qcow2' });
const NETWORK = {
  type: 'manual',
  ip: '10.0.0.20',
  netmask: '255.255.255.0',
  gateway: '10.0.0.1',
  default: ['dns', 'gateway'],
  dns: ['10.0.0.2'],
  cloud_properties: {},
};
const ENV = { bosh: { group: 'director-deployment-worker' } };
const REQUEST: CreateVmRequest = {
  agentId: AGENT_ID,
  stemcellCid: STEMCELL as NativeCid<'stemcell'>,
  cloudProperties: { resource_class: 'bm.small' },
  networks: { default: NETWORK },
  diskCids: [],
  env: ENV,
};
const FIELDS =
  'uuid,name,provision_state,power_state,maintenance,fault,instance_uuid,resource_class,conductor_group,properties,traits,extra,retired,retired_reason';
const MAC = '52:54:00:aa:bb:01';
/** What the VM's networks come back as: each with the MAC of its NIC. */
const NETWORKS = { default: { ...NETWORK, mac: MAC } };
const RECORD = { cid: CID, agent_id: AGENT_ID, enrolled: false, devices: { system: '/dev/sda', ephemeral: '/dev/sdb' }, group: ENV.bosh.group };
const INSTANCE_INFO = {
  image_source: 'http://images.test/sc.qcow2',
  image_disk_format: 'qcow2',
  image_type: 'whole-disk',
  image_os_hash_algo: 'sha256',
  image_os_hash_value: HASH,
  root_gb: 20,
};

const free = (uuid: string, more: Partial<Node> = {}) => ({
  ...nodeFixture({ uuid, name: `node-${uuid.slice(0, 4)}`, ...more }),
  retired: false,
  retired_reason: null,
});

// Candidates are shuffled; a fixed random keeps them in the order listed (and every jitter the same).
beforeEach(() => void vi.spyOn(Math, 'random').mockReturnValue(0.999));
afterEach(() => void vi.restoreAllMocks());

/** The allocation create_vm asks Ironic for, among these candidates. */
const allocate = (...candidates: string[]) => ({
  method: 'POST',
  path: '/v1/allocations',
  body: { uuid: CID, resource_class: 'bm.small', candidate_nodes: candidates, extra: { bosh_agent_id: AGENT_ID } },
});

function freeNodes(w: Wire, nodes: readonly unknown[]): void {
  const query = { provision_state: 'available', associated: 'false', maintenance: 'false', resource_class: 'bm.small', fields: FIELDS, limit: '1000' };
  w.on({ method: 'GET', path: '/v1/nodes', microversion: '1.61', query }, 200, { nodes, next: null });
}

/**
 * The deploy of the VM on a claimed node: its records, its ports, the deploy (answered `put`), and
 * the node as each poll of the wait reads it. Returns the deploy body's matcher.
 */
function deploys(
  w: Wire,
  uuid: string,
  outcome: Partial<Node>[] = [{ provision_state: 'active' }],
  put: { status: number; body?: unknown } = { status: 202 },
): ReturnType<typeof deployOf> {
  const claimed = nodeFixture({ uuid, instance_uuid: CID });
  w.on({ method: 'GET', path: `/v1/nodes/${uuid}` }, 200, claimed);
  w.on(
    {
      method: 'PATCH',
      path: `/v1/nodes/${uuid}`,
      body: recordWithSlot(RECORD, { op: 'add', path: '/instance_info', value: INSTANCE_INFO }),
    },
    200,
    { ...claimed, extra: { bosh_vm: RECORD }, instance_info: INSTANCE_INFO },
  );
  w.nics(uuid, MAC.toUpperCase());
  w.deploySlots();
  const deploy = deployOf('active');
  w.on({ method: 'PUT', path: `/v1/nodes/${uuid}/states/provision`, body: deploy.body }, put.status, put.body);
  for (const state of outcome) w.on({ method: 'GET', path: `/v1/nodes/${uuid}` }, 200, { ...claimed, extra: { bosh_vm: RECORD }, ...state });
  return deploy;
}

describe('create_vm on a free node', () => {
  it('claims through an allocation, writes its records, deploys the config drive and waits for active', async () => {
    const w = await wire();
    w.claimedBy(CID, undefined); // no earlier try of this create_vm left a node
    freeNodes(w, [free(NODE)]);
    w.on(allocate(NODE), 201, allocationFixture({ uuid: CID }));
    w.on({ method: 'GET', path: `/v1/allocations/${CID}` }, 200, allocationFixture({ uuid: CID, state: 'active', node_uuid: NODE }));
    const deploy = deploys(w, NODE);

    expect(await w.backend.createVm(call('create_vm'), REQUEST)).toEqual({ cid: CID, networks: NETWORKS });
    expect(deploy.drive()).toEqual({
      userData: {
        agent_id: AGENT_ID,
        vm: { name: CID },
        mbus: AGENT.mbus,
        ntp: AGENT.ntp,
        blobstore: {},
        disks: { system: '/dev/sda', ephemeral: '/dev/sdb', persistent: {} },
        networks: NETWORKS,
        env: ENV,
      },
      metaData: { 'instance-id': CID, hostname: CID, 'public-keys': {} },
      networkData: {
        links: [{ id: 'nic-525400aabb01', type: 'phy', ethernet_mac_address: MAC }],
        networks: [
          {
            id: 'default',
            link: 'nic-525400aabb01',
            type: 'ipv4',
            ip_address: '10.0.0.20',
            netmask: '255.255.255.0',
            routes: [{ network: '0.0.0.0', netmask: '0.0.0.0', gateway: '10.0.0.1' }],
          },
        ],
        services: [{ type: 'dns', address: '10.0.0.2' }],
      },
    });
    expect(w.logs.filter((l) => l.level === 'info').map((l) => [l.msg, l.fields['node']])).toEqual([
      ['claimed node', NODE],
      ['deploying', NODE],
      ['node is active', NODE],
    ]);
  });

  it('by instance_uuid: a claim lost to another process (409) moves on to the next candidate', async () => {
    const w = await wire({ claim: 'instance_uuid' });
    w.claimedBy(CID, undefined);
    freeNodes(w, [free(OTHER), free(NODE)]);
    w.on({ method: 'PATCH', path: `/v1/nodes/${OTHER}`, body: [{ op: 'add', path: '/instance_uuid', value: CID }] }, 409, {
      ...ironicError(`Node ${OTHER} is associated with instance 11111111-2222-4333-8444-555555555555.`),
    });
    w.on({ method: 'PATCH', path: `/v1/nodes/${NODE}`, body: [{ op: 'add', path: '/instance_uuid', value: CID }] }, 200, nodeFixture({ instance_uuid: CID }));
    deploys(w, NODE);

    expect((await w.backend.createVm(call('create_vm'), REQUEST)).cid).toBe(CID);
    expect(w.logs.filter((l) => l.level === 'debug' && l.msg === 'lost the race for a node, trying the next').map((l) => l.fields['node'])).toEqual([OTHER]);
  });

  it('an allocation that failed (nodes taken meanwhile) is deleted, and the nodes with failed deploys on record are tried next', async () => {
    const w = await wire();
    w.claimedBy(CID, undefined);
    const flaky = free(OTHER, { extra: { bosh_failures: { count: 1, recent: [] } } });
    freeNodes(w, [flaky, free(NODE)]);
    w.on(allocate(NODE), 201, allocationFixture({ uuid: CID }));
    w.on({ method: 'GET', path: `/v1/allocations/${CID}` }, 200, {
      ...allocationFixture({ uuid: CID, state: 'error', last_error: 'all nodes were filtered out during reservation.' }),
    });
    w.on({ method: 'DELETE', path: `/v1/allocations/${CID}` }, 204);
    w.on(allocate(OTHER), 201, allocationFixture({ uuid: CID }));
    w.on({ method: 'GET', path: `/v1/allocations/${CID}` }, 200, allocationFixture({ uuid: CID, state: 'active', node_uuid: OTHER }));
    deploys(w, OTHER, [{ provision_state: 'active', extra: { bosh_vm: RECORD, bosh_failures: { count: 1, recent: [] } } }]);
    // A good deploy forgets the node's failed ones.
    w.on({ method: 'PATCH', path: `/v1/nodes/${OTHER}`, body: [{ op: 'remove', path: '/extra/bosh_failures' }] }, 200, nodeFixture({ uuid: OTHER }));

    expect((await w.backend.createVm(call('create_vm'), REQUEST)).cid).toBe(CID);
  });

  it("an earlier try's allocation (409 on create) is reused while it works, replaced when it failed", async () => {
    const w = await wire();
    w.claimedBy(CID, undefined);
    freeNodes(w, [free(NODE)]);
    w.on(allocate(NODE), 409, ironicError(`Allocation with UUID ${CID} already exists.`));
    w.on({ method: 'GET', path: `/v1/allocations/${CID}` }, 200, allocationFixture({ uuid: CID, state: 'error', last_error: 'old' }));
    w.on({ method: 'DELETE', path: `/v1/allocations/${CID}` }, 204);
    w.on(allocate(NODE), 201, allocationFixture({ uuid: CID }));
    w.on({ method: 'GET', path: `/v1/allocations/${CID}` }, 200, allocationFixture({ uuid: CID, state: 'allocating' }));
    w.on({ method: 'GET', path: `/v1/allocations/${CID}` }, 200, allocationFixture({ uuid: CID, state: 'active', node_uuid: NODE }));
    deploys(w, NODE);

    expect((await w.backend.createVm(call('create_vm'), REQUEST)).cid).toBe(CID);
    expect(w.sleeps).toHaveLength(1);
  });

  it('when every allocation fails: VMCreationFailed, retryable, and nothing left allocated', async () => {
    const w = await wire();
    w.claimedBy(CID, undefined);
    freeNodes(w, [free(NODE)]);
    w.on(allocate(NODE), 201, allocationFixture({ uuid: CID }));
    w.on({ method: 'GET', path: `/v1/allocations/${CID}` }, 200, allocationFixture({ uuid: CID, state: 'error', last_error: 'taken' }));
    w.on({ method: 'DELETE', path: `/v1/allocations/${CID}` }, 204);

    await expect(w.backend.createVm(call('create_vm'), REQUEST)).rejects.toMatchObject({
      code: 'CPX_VM_CREATION_FAILED',
      okToRetry: true,
      message: `Claiming a node for VM ${CID} (agent ${AGENT_ID}): all 1 matching nodes were claimed by other VMs at the same time; a retry may find one free`,
    });
  });

  it('a failed deploy is recorded on its node, the node given back (undeployed), and the VM deployed on the next node', async () => {
    const w = await wire({ claim: 'instance_uuid' });
    w.claimedBy(CID, undefined);
    freeNodes(w, [free(OTHER), free(NODE)]);
    w.on({ method: 'PATCH', path: `/v1/nodes/${OTHER}`, body: [{ op: 'add', path: '/instance_uuid', value: CID }] }, 200, nodeFixture({ uuid: OTHER }));
    const failed = { provision_state: 'deploy failed' as const, target_provision_state: null, last_error: 'IPMI timeout' };
    deploys(w, OTHER, [{ provision_state: 'deploying', target_provision_state: 'active' }, failed]);
    // Roll-back: the node read, the failure recorded (the record carries its time: matched by shape) ...
    const failedNode = nodeFixture({ uuid: OTHER, instance_uuid: CID, extra: { bosh_vm: RECORD }, ...failed });
    w.on({ method: 'GET', path: `/v1/nodes/${OTHER}` }, 200, failedNode);
    const recorded = (text: string) => {
      const [op, ...more] = JSON.parse(text) as { op: string; path: string; value: { count: number; recent: Record<string, unknown>[] } }[];
      const entry = op?.value.recent[0];
      return (
        more.length === 0 &&
        op?.op === 'add' &&
        op.path === '/extra/bosh_failures' &&
        op.value.count === 1 &&
        entry?.['step'] === 'deploying' &&
        entry['last_error'] === 'IPMI timeout' &&
        entry['vm'] === CID
      );
    };
    const withFailures = { ...failedNode, extra: { bosh_vm: RECORD, bosh_failures: { count: 1, recent: [] } } };
    w.on({ method: 'PATCH', path: `/v1/nodes/${OTHER}`, body: recorded }, 200, withFailures);
    // ... then given back under its lock: its VM record goes, the undeploy drops the claim.
    w.lock(withFailures).unlock();
    w.on({ method: 'PATCH', path: `/v1/nodes/${OTHER}`, body: [{ op: 'remove', path: '/extra/bosh_vm' }] }, 200, { ...withFailures, extra: {} });
    w.on({ method: 'PUT', path: `/v1/nodes/${OTHER}/states/provision`, body: { target: 'deleted' } }, 202);
    w.on({ method: 'GET', path: `/v1/nodes/${OTHER}` }, 200, nodeFixture({ uuid: OTHER }));
    // The next candidate, the failed one left out.
    freeNodes(w, [free(OTHER), free(NODE)]);
    w.on({ method: 'PATCH', path: `/v1/nodes/${NODE}`, body: [{ op: 'add', path: '/instance_uuid', value: CID }] }, 200, nodeFixture({ instance_uuid: CID }));
    deploys(w, NODE);

    expect((await w.backend.createVm(call('create_vm'), REQUEST)).cid).toBe(CID);
    expect(w.logs.filter((l) => l.level === 'warn').map((l) => [l.msg, l.fields['node']])).toEqual([
      ['recorded a failed deploy on the node', OTHER],
      ['the deploy failed on this node: trying another', OTHER],
    ]);
  });

  it('after max_deploy_attempts failed deploys: one VMCreationFailed naming each node and why, every node given back', async () => {
    const w = await wire({ claim: 'instance_uuid', max_deploy_attempts: 1 });
    w.claimedBy(CID, undefined);
    freeNodes(w, [free(NODE)]);
    w.on({ method: 'PATCH', path: `/v1/nodes/${NODE}`, body: [{ op: 'add', path: '/instance_uuid', value: CID }] }, 200, nodeFixture({ instance_uuid: CID }));
    // Ironic refuses the deploy itself: the node's BMC cannot be reached.
    deploys(w, NODE, [], { status: 500, body: ironicError('Failed to validate power info for node x. Error: IPMI timeout', 'Server') });
    const stillClaimed = nodeFixture({ instance_uuid: CID, extra: { bosh_vm: RECORD } });
    w.on({ method: 'GET', path: `/v1/nodes/${NODE}` }, 200, stillClaimed);
    w.on({ method: 'PATCH', path: `/v1/nodes/${NODE}`, body: (text: string) => text.includes('"deploy request"') }, 200, stillClaimed);
    // Never deployed: the records and the claim go in one write, and there is nothing to undeploy.
    w.lock(stillClaimed).unlock();
    w.on(
      {
        method: 'PATCH',
        path: `/v1/nodes/${NODE}`,
        body: [
          { op: 'remove', path: '/extra/bosh_vm' },
          { op: 'remove', path: '/instance_uuid' },
        ],
      },
      200,
      nodeFixture(),
    );

    await expect(w.backend.createVm(call('create_vm'), REQUEST)).rejects.toMatchObject({
      code: 'CPX_VM_CREATION_FAILED',
      okToRetry: true,
      message:
        `Creating VM ${CID} for agent ${AGENT_ID}: the deploy failed on the only node tried, and max_deploy_attempts is 1: ` +
        `node-1 (${NODE}): deploy request: Failed to validate power info for node x. Error: IPMI timeout`,
    });
  });
});

describe('create_vm retried by the director (same agent_id)', () => {
  it('Ironic unreachable on every try of the look-up for an earlier node: VMCreationFailed, retryable, nothing claimed', async () => {
    const w = await wire();
    const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6385'), { code: 'ECONNREFUSED' });
    for (let i = 0; i < DEFAULT_RETRY.attempts; i++) {
      expectCall(w.pool, { method: 'GET', path: '/v1/nodes', query: { instance_uuid: CID, fields: 'uuid' } }).replyWithError(refused());
    }
    await expect(w.backend.createVm(call('create_vm'), REQUEST)).rejects.toMatchObject({
      code: 'CPX_VM_CREATION_FAILED',
      okToRetry: true,
      message: expect.stringMatching(
        `^Creating VM ${CID} for agent ${AGENT_ID}: Finding the node of VM ${CID}: cannot reach Ironic at .* after ${DEFAULT_RETRY.attempts} attempts`,
      ),
    });
  });

  it('answers from the node an earlier try deployed, without claiming another', async () => {
    const w = await wire();
    w.claimedBy(CID, NODE);
    w.on({ method: 'GET', path: `/v1/nodes/${NODE}` }, 200, nodeFixture({ provision_state: 'active', instance_uuid: CID, extra: { bosh_vm: RECORD } }));
    w.nics(NODE, MAC);
    expect(await w.backend.createVm(call('create_vm'), REQUEST)).toEqual({ cid: CID, networks: NETWORKS });
  });

  it('waits for the deploy an earlier try started', async () => {
    const w = await wire();
    const deploying = nodeFixture({ provision_state: 'deploying', target_provision_state: 'active', instance_uuid: CID, extra: { bosh_vm: RECORD } });
    w.claimedBy(CID, NODE);
    w.on({ method: 'GET', path: `/v1/nodes/${NODE}` }, 200, deploying);
    w.on({ method: 'GET', path: `/v1/nodes/${NODE}` }, 200, deploying);
    w.on({ method: 'GET', path: `/v1/nodes/${NODE}` }, 200, { ...deploying, provision_state: 'active', target_provision_state: null });
    w.nics(NODE, MAC);
    expect((await w.backend.createVm(call('create_vm'), REQUEST)).cid).toBe(CID);
    expect(w.sleeps).toHaveLength(1);
  });
});
