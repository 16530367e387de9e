import { describe, expect, it } from 'vitest';
import { isAssociated, isLocked, isNotFound } from '../../../src/ironic/errors.js';
import {
  createNode,
  deleteNode,
  getNode,
  listNodes,
  patchNode,
  setMaintenance,
  setPowerState,
  setProvisionState,
  setTraits,
  unsetMaintenance,
  validateNode,
  type ProvisionTarget,
} from '../../../src/ironic/nodes.js';
import { add, remove } from '../../../src/ironic/patch.js';
import { INSTANCE, NODE, ORIGIN, expectCall, ironicError, nodeFixture, useIronicMock } from './helpers.js';

const make = useIronicMock();

describe('getNode', () => {
  it('gets a node by UUID or name', async () => {
    const { pool, client } = make();
    expectCall(pool, { method: 'GET', path: `/v1/nodes/${NODE}` }).reply(200, nodeFixture());
    expectCall(pool, { method: 'GET', path: '/v1/nodes/rack%2F1%20a' }).reply(200, nodeFixture({ name: 'rack/1 a' }));
    expect(await getNode(client, NODE)).toEqual(nodeFixture());
    expect((await getNode(client, 'rack/1 a')).name).toBe('rack/1 a');
  });

  it('asks for fields only when told', async () => {
    const { pool, client } = make();
    expectCall(pool, { method: 'GET', path: `/v1/nodes/${NODE}`, query: { fields: 'uuid,allocation_uuid' } }).reply(200, { uuid: NODE, allocation_uuid: null });
    const node = await getNode(client, NODE, { fields: ['uuid', 'allocation_uuid'] });
    expect(node).toEqual({ uuid: NODE, allocation_uuid: null });
  });

  it('reports a missing node as not found, with the caller description', async () => {
    const { pool, client } = make();
    expectCall(pool, { method: 'GET', path: '/v1/nodes/n' }).reply(404, ironicError('Node n could not be found.'));
    const error = await getNode(client, 'n', { doing: 'Finding the node of VM metal:n' }).catch((e: unknown) => e);
    expect(isNotFound(error)).toBe(true);
    expect((error as Error).message).toBe('Finding the node of VM metal:n: Ironic answered 404: Node n could not be found.');
    expectCall(pool, { method: 'GET', path: '/v1/nodes/n' }).reply(404, ironicError('Node n could not be found.'));
    await expect(getNode(client, 'n')).rejects.toThrowError(/^Getting node n: Ironic answered 404/);
  });
});

describe('listNodes', () => {
  it('lists full nodes from /detail with the filters, keeping them on the next page (Ironic drops them from next)', async () => {
    const { pool, client } = make();
    const query = { provision_state: 'available', associated: 'false', maintenance: 'false', resource_class: 'bm.small', conductor_group: 'rack1', limit: '1' };
    expectCall(pool, { method: 'GET', path: '/v1/nodes/detail', query }).reply(200, {
      nodes: [nodeFixture()],
      next: `${ORIGIN}/v1/nodes/detail?limit=1&marker=${NODE}`,
    });
    expectCall(pool, { method: 'GET', path: '/v1/nodes/detail', query: { ...query, marker: NODE } }).reply(200, { nodes: [] });
    const pages = [];
    for await (const page of listNodes(client, {
      provision_state: 'available',
      associated: false,
      maintenance: false,
      resource_class: 'bm.small',
      conductor_group: 'rack1',
      limit: 1,
    })) {
      pages.push(page);
    }
    expect(pages).toEqual([[nodeFixture()], []]);
  });

  it('lists only some fields from /v1/nodes (detail refuses fields)', async () => {
    const { pool, client } = make();
    expectCall(pool, { method: 'GET', path: '/v1/nodes', query: { fields: 'uuid,name,provision_state', instance_uuid: INSTANCE } }).reply(200, {
      nodes: [{ uuid: NODE, name: 'node-1', provision_state: 'active' }],
      next: null,
    });
    const pages = [];
    for await (const page of listNodes(client, { fields: ['uuid', 'name', 'provision_state'], instance_uuid: INSTANCE })) pages.push(page);
    expect(pages).toEqual([[{ uuid: NODE, name: 'node-1', provision_state: 'active' }]]);
  });

  it('refuses allocation_uuid as a list field (Ironic answers 500)', async () => {
    const { client } = make();
    await expect(listNodes(client, { fields: ['uuid', 'allocation_uuid'] }).next()).rejects.toThrowError(/allocation_uuid cannot be a list field/);
  });
});

describe('createNode and deleteNode', () => {
  it('posts the exact body and returns the node', async () => {
    const { pool, client } = make();
    const body = {
      name: 'node-1',
      driver: 'ipmi',
      driver_info: { ipmi_address: '10.0.0.9', ipmi_password: 'bmc-pw' },
      resource_class: 'bm.small',
      properties: { cpus: 2 },
    };
    expectCall(pool, { method: 'POST', path: '/v1/nodes', body }).reply(201, nodeFixture({ provision_state: 'enroll' }));
    expect((await createNode(client, body)).provision_state).toBe('enroll');
  });

  it('names the node in the error', async () => {
    const { pool, client } = make();
    expectCall(pool, { method: 'POST', path: '/v1/nodes', body: { name: 'n', driver: 'ipmi' } }).reply(
      400,
      ironicError('No valid host was found. Reason: No conductor service registered which supports driver ipmi for conductor group "".'),
    );
    await expect(createNode(client, { name: 'n', driver: 'ipmi' })).rejects.toThrowError(/^Enrolling node n: Ironic answered 400: No valid host was found/);
  });

  it('deletes', async () => {
    const { pool, client } = make();
    expectCall(pool, { method: 'DELETE', path: `/v1/nodes/${NODE}` }).reply(204, '');
    await deleteNode(client, NODE);
  });
});

describe('patchNode', () => {
  it('sends the JSON-patch ops', async () => {
    const { pool, client } = make();
    const ops = [add(['instance_info'], { image_source: 'http://x/img', root_gb: 10 }), remove(['extra', 'bosh_vm'])];
    expectCall(pool, {
      method: 'PATCH',
      path: `/v1/nodes/${NODE}`,
      body: [
        { op: 'add', path: '/instance_info', value: { image_source: 'http://x/img', root_gb: 10 } },
        { op: 'remove', path: '/extra/bosh_vm' },
      ],
    }).reply(200, nodeFixture());
    await patchNode(client, NODE, ops);
  });

  it('makes a lost claim a final, associated 409 with the caller description', async () => {
    const { pool, client, sleeps } = make();
    const fault = `Node ${NODE} is associated with instance ${INSTANCE}.`;
    expectCall(pool, {
      method: 'PATCH',
      path: `/v1/nodes/${NODE}`,
      body: [{ op: 'add', path: '/instance_uuid', value: 'aaaaaaaa-0000-4000-8000-000000000000' }],
    }).reply(409, ironicError(fault));
    const error = await patchNode(client, NODE, [add('/instance_uuid', 'aaaaaaaa-0000-4000-8000-000000000000')], {
      claim: true,
      doing: `Claiming node ${NODE} for agent a-1`,
    }).catch((e: unknown) => e);
    expect(isAssociated(error)).toBe(true);
    expect((error as Error).message).toBe(`Claiming node ${NODE} for agent a-1: Ironic answered 409: ${fault}`);
    expect(sleeps).toEqual([]);
  });

  it('does not repeat a claim that met the lock', async () => {
    const { pool, client } = make();
    expectCall(pool, { method: 'PATCH', path: `/v1/nodes/${NODE}`, body: [{ op: 'add', path: '/instance_uuid', value: INSTANCE }] }).reply(
      409,
      ironicError(`Node ${NODE} is locked by host ironic-lab, please retry after the current operation is completed.`),
    );
    expect(isLocked(await patchNode(client, NODE, [add('/instance_uuid', INSTANCE)], { claim: true }).catch((e: unknown) => e))).toBe(true);
  });

  describe('when the connection broke after sending, it reads the node before repeating', () => {
    const broke = () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    const ops = [add('/instance_uuid', INSTANCE), add(['extra', 'bosh_vm'], { cid: 'c' }), remove(['extra', 'old'])];

    it('a patch the node shows whole was made: the node is the answer', async () => {
      const { pool, client } = make();
      expectCall(pool, { method: 'PATCH', path: `/v1/nodes/${NODE}`, body: ops }).replyWithError(broke());
      const patched = nodeFixture({ instance_uuid: INSTANCE, extra: { bosh_vm: { cid: 'c' } } });
      expectCall(pool, { method: 'GET', path: `/v1/nodes/${NODE}` }).reply(200, patched);
      expect(await patchNode(client, NODE, ops, { claim: true })).toEqual(patched);
    });

    it('a patch the node does not show was not made (Ironic applies one whole or not at all): it is sent again', async () => {
      const { pool, client } = make();
      expectCall(pool, { method: 'PATCH', path: `/v1/nodes/${NODE}`, body: ops }).replyWithError(broke());
      expectCall(pool, { method: 'GET', path: `/v1/nodes/${NODE}` }).reply(200, nodeFixture({ instance_uuid: INSTANCE, extra: { old: 1 } }));
      expectCall(pool, { method: 'PATCH', path: `/v1/nodes/${NODE}`, body: ops }).reply(409, ironicError(`Node ${NODE} is associated with instance x.`));
      expect(isAssociated(await patchNode(client, NODE, ops, { claim: true }).catch((e: unknown) => e))).toBe(true);
    });
  });

  it('a repeat whose connection breaks too is looked at again: made then, it is done', async () => {
    const { pool, client } = make();
    const ops = [add(['extra', 'bosh_disks'], { d1: { attached_to: null } })];
    const broke = () => Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
    const before = nodeFixture({ extra: { bosh_disks: { d1: { attached_to: 'vm' } } } });
    const after = nodeFixture({ extra: { bosh_disks: { d1: { attached_to: null } } } });
    expectCall(pool, { method: 'PATCH', path: `/v1/nodes/${NODE}`, body: ops }).replyWithError(broke());
    expectCall(pool, { method: 'GET', path: `/v1/nodes/${NODE}` }).reply(200, before);
    expectCall(pool, { method: 'PATCH', path: `/v1/nodes/${NODE}`, body: ops }).replyWithError(broke());
    expectCall(pool, { method: 'GET', path: `/v1/nodes/${NODE}` }).reply(200, after);
    expect(await patchNode(client, NODE, ops)).toEqual(after);
  });

  it('repeats a locked 409 when it is not a claim', async () => {
    const { pool, client, sleeps } = make();
    const ops = [add('/extra/bosh_vm', 'x')];
    expectCall(pool, { method: 'PATCH', path: `/v1/nodes/${NODE}`, body: ops }).reply(409, ironicError(`Node ${NODE} is locked by host h, please retry.`));
    expectCall(pool, { method: 'PATCH', path: `/v1/nodes/${NODE}`, body: ops }).reply(200, nodeFixture());
    await patchNode(client, NODE, ops);
    expect(sleeps).toHaveLength(1);
  });
});

describe('setProvisionState', () => {
  const path = `/v1/nodes/${NODE}/states/provision`;
  const cases: [string, ProvisionTarget, string][] = [
    ['active with a base64 ISO at the default version', { target: 'active', configdrive: 'H4sIAAAA' }, '1.52'],
    ['active with a JSON config drive at 1.56', { target: 'active', configdrive: { meta_data: { uuid: 'x' }, user_data: 'hi' } }, '1.56'],
    ['deploy at 1.73', { target: 'deploy' }, '1.73'],
    ['rebuild with a JSON config drive at 1.56', { target: 'rebuild', configdrive: { meta_data: {} } }, '1.56'],
    ['rebuild without one', { target: 'rebuild' }, '1.52'],
    ['deleted', { target: 'deleted' }, '1.52'],
    ['undeploy at 1.73', { target: 'undeploy' }, '1.73'],
    ['manage', { target: 'manage' }, '1.52'],
    ['provide', { target: 'provide' }, '1.52'],
    [
      'clean with steps',
      {
        target: 'clean',
        clean_steps: [
          { interface: 'deploy', step: 'erase_devices_metadata' },
          { interface: 'raid', step: 'delete_configuration', args: { x: 1 } },
        ],
      },
      '1.52',
    ],
    ['abort', { target: 'abort' }, '1.52'],
  ];
  for (const [name, target, microversion] of cases) {
    it(`sends ${name}`, async () => {
      const { pool, client } = make();
      expectCall(pool, { method: 'PUT', path, body: target, microversion }).reply(202, '');
      await setProvisionState(client, NODE, target);
    });
  }

  it('keeps a newer client default', async () => {
    const { pool, client } = make({ microversion: '1.82' });
    expectCall(pool, { method: 'PUT', path, body: { target: 'deploy' }, microversion: '1.82' }).reply(202, '');
    await setProvisionState(client, NODE, { target: 'deploy' });
  });

  describe('when the connection broke after sending, it looks before repeating', () => {
    const broke = () => Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
    const state = (provision_state: string, target_provision_state: string | null) => ({ uuid: NODE, provision_state, target_provision_state });
    const look = { method: 'GET', path: `/v1/nodes/${NODE}`, query: { fields: 'provision_state,target_provision_state' } } as const;

    it('a change that began is not sent again', async () => {
      const { pool, client } = make();
      expectCall(pool, { method: 'PUT', path, body: { target: 'active' } }).replyWithError(broke());
      expectCall(pool, look).reply(200, state('deploying', 'active'));
      await setProvisionState(client, NODE, { target: 'active' });
    });

    it('a node still where the verb starts from, and not moving, gets it again', async () => {
      const { pool, client } = make();
      expectCall(pool, { method: 'PUT', path, body: { target: 'deleted' } }).replyWithError(broke());
      expectCall(pool, look).reply(200, state('active', null));
      expectCall(pool, { method: 'PUT', path, body: { target: 'deleted' } }).reply(202, '');
      await setProvisionState(client, NODE, { target: 'deleted' });
    });

    it('anything else stays the error, as does a verb whose outcome cannot be told (rebuild)', async () => {
      const { pool, client } = make();
      const message =
        `Moving node ${NODE} to provision target active: cannot reach Ironic at ${ORIGIN} after 1 attempt: other side closed (UND_ERR_SOCKET); not ` +
        `repeated, as the server may have acted on it`;
      expectCall(pool, { method: 'PUT', path, body: { target: 'active' } }).replyWithError(broke());
      expectCall(pool, look).reply(200, state('error', null));
      await expect(setProvisionState(client, NODE, { target: 'active' })).rejects.toThrowError(message);
      expectCall(pool, { method: 'PUT', path, body: { target: 'rebuild' } }).replyWithError(broke());
      await expect(setProvisionState(client, NODE, { target: 'rebuild' })).rejects.toMatchObject({ maybeProcessed: true, okToRetry: true });
    });
  });

  it('reports an action the state does not allow', async () => {
    const { pool, client } = make();
    expectCall(pool, { method: 'PUT', path, body: { target: 'provide' } }).reply(
      400,
      ironicError(`The requested action "provide" can not be performed on node "${NODE}" while it is in state "active".`),
    );
    await expect(setProvisionState(client, NODE, { target: 'provide' })).rejects.toThrowError(/400: The requested action "provide" can not be performed/);
  });
});

describe('power, maintenance, traits, validate', () => {
  it('sets the power state', async () => {
    const { pool, client } = make();
    for (const target of ['power on', 'power off', 'rebooting', 'soft rebooting'] as const) {
      expectCall(pool, { method: 'PUT', path: `/v1/nodes/${NODE}/states/power`, body: { target } }).reply(202, '');
      await setPowerState(client, NODE, target);
    }
  });

  it('repeats power off but not a reboot after a broken connection', async () => {
    const { pool, client } = make();
    const reset = () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    expectCall(pool, { method: 'PUT', path: `/v1/nodes/${NODE}/states/power`, body: { target: 'power off' } }).replyWithError(reset());
    expectCall(pool, { method: 'PUT', path: `/v1/nodes/${NODE}/states/power`, body: { target: 'power off' } }).reply(202, '');
    await setPowerState(client, NODE, 'power off');
    expectCall(pool, { method: 'PUT', path: `/v1/nodes/${NODE}/states/power`, body: { target: 'rebooting' } }).replyWithError(reset());
    await expect(setPowerState(client, NODE, 'rebooting')).rejects.toThrowError(/not repeated/);
  });

  it('sets and unsets maintenance', async () => {
    const { pool, client } = make();
    expectCall(pool, { method: 'PUT', path: `/v1/nodes/${NODE}/maintenance`, body: { reason: 'disk wipe failed' } }).reply(202, '');
    expectCall(pool, { method: 'PUT', path: `/v1/nodes/${NODE}/maintenance`, body: {} }).reply(202, '');
    expectCall(pool, { method: 'DELETE', path: `/v1/nodes/${NODE}/maintenance` }).reply(202, '');
    await setMaintenance(client, NODE, 'disk wipe failed');
    await setMaintenance(client, NODE);
    await unsetMaintenance(client, NODE);
  });

  it('replaces the traits', async () => {
    const { pool, client } = make();
    expectCall(pool, { method: 'PUT', path: `/v1/nodes/${NODE}/traits`, body: { traits: ['CUSTOM_GPU', 'CUSTOM_RAID'] } }).reply(204, '');
    await setTraits(client, NODE, ['CUSTOM_GPU', 'CUSTOM_RAID']);
  });

  it('validates', async () => {
    const { pool, client } = make();
    const answer = {
      boot: { result: true, reason: null },
      deploy: { result: false, reason: 'Missing image_source' },
      rescue: { result: null, reason: 'not supported' },
    };
    expectCall(pool, { method: 'GET', path: `/v1/nodes/${NODE}/validate` }).reply(200, answer);
    expect(await validateNode(client, NODE)).toEqual(answer);
  });
});
