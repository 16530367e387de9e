import { describe, expect, it } from 'vitest';
import { isConflict } from '../../../src/ironic/errors.js';
import { createAllocation, deleteAllocation, getAllocation, listAllocations } from '../../../src/ironic/allocations.js';
import { ALLOC, NODE, ORIGIN, allocationFixture, expectCall, ironicError, useIronicMock } from './helpers.js';

const make = useIronicMock();

describe('createAllocation', () => {
  it('posts the exact body at 1.52', async () => {
    const { pool, client } = make();
    const body = { name: 'bosh-a-1', resource_class: 'bm.small', traits: ['CUSTOM_GPU'], candidate_nodes: ['node-1', NODE], extra: { agent: 'a-1' } };
    expectCall(pool, { method: 'POST', path: '/v1/allocations', body }).reply(201, allocationFixture());
    expect((await createAllocation(client, body)).state).toBe('allocating');
  });

  it('raises the microversion for backfill (1.58) and owner (1.60)', async () => {
    const { pool, client } = make();
    expectCall(pool, { method: 'POST', path: '/v1/allocations', body: { node: NODE }, microversion: '1.58' }).reply(201, allocationFixture());
    expectCall(pool, { method: 'POST', path: '/v1/allocations', body: { resource_class: 'x', owner: 'p1' }, microversion: '1.60' }).reply(
      201,
      allocationFixture(),
    );
    await createAllocation(client, { node: NODE });
    await createAllocation(client, { resource_class: 'x', owner: 'p1' });
  });

  it('with a uuid, is repeated after a broken connection: a first that reached Ironic makes the repeat a 409, which the claim resolves', async () => {
    const { pool, client, sleeps } = make();
    const body = { uuid: ALLOC, resource_class: 'bm.small' };
    expectCall(pool, { method: 'POST', path: '/v1/allocations', body }).replyWithError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    expectCall(pool, { method: 'POST', path: '/v1/allocations', body }).reply(409, ironicError(`An allocation with UUID ${ALLOC} already exists.`));
    expect(isConflict(await createAllocation(client, body).catch((e: unknown) => e))).toBe(true);
    expect(sleeps).toHaveLength(1);
  });

  it('without a uuid, is never repeated when the connection broke after sending', async () => {
    const { pool, client, sleeps } = make();
    expectCall(pool, { method: 'POST', path: '/v1/allocations', body: { resource_class: 'bm.small' } }).replyWithError(
      Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
    );
    await expect(createAllocation(client, { resource_class: 'bm.small' })).rejects.toThrowError(
      /^Creating an allocation of resource class bm.small: cannot reach Ironic/,
    );
    expect(sleeps).toEqual([]);
  });

  it('reports a duplicate name as a conflict', async () => {
    const { pool, client } = make();
    expectCall(pool, { method: 'POST', path: '/v1/allocations', body: { name: 'x', resource_class: 'c' } }).reply(
      409,
      ironicError('An allocation with name x already exists.'),
    );
    expect(isConflict(await createAllocation(client, { name: 'x', resource_class: 'c' }).catch((e: unknown) => e))).toBe(true);
  });
});

describe('getAllocation, deleteAllocation, listAllocations', () => {
  it('gets and deletes', async () => {
    const { pool, client } = make();
    expectCall(pool, { method: 'GET', path: `/v1/allocations/${ALLOC}` }).reply(200, allocationFixture({ state: 'active', node_uuid: NODE }));
    expectCall(pool, { method: 'DELETE', path: '/v1/allocations/bosh-a-1' }).reply(204, '');
    expect((await getAllocation(client, ALLOC)).node_uuid).toBe(NODE);
    await deleteAllocation(client, 'bosh-a-1');
  });

  it('explains why the allocation of an active node cannot go', async () => {
    const { pool, client } = make();
    const fault = `Cannot remove allocation ${ALLOC} because the node ${NODE} is active (and maintenance mode is off)`;
    expectCall(pool, { method: 'DELETE', path: `/v1/allocations/${ALLOC}` }).reply(409, ironicError(fault));
    await expect(deleteAllocation(client, ALLOC)).rejects.toThrowError(`Deleting allocation ${ALLOC}: Ironic answered 409: ${fault}.`);
  });

  it('lists with filters, following next', async () => {
    const { pool, client } = make();
    expectCall(pool, { method: 'GET', path: '/v1/allocations', query: { node: 'node-1', state: 'active', resource_class: 'bm.small' } }).reply(200, {
      allocations: [allocationFixture({ state: 'active' })],
      next: `${ORIGIN}/v1/allocations?node=node-1&marker=${ALLOC}`,
    });
    expectCall(pool, { method: 'GET', path: '/v1/allocations', query: { node: 'node-1', state: 'active', resource_class: 'bm.small', marker: ALLOC } }).reply(
      200,
      { allocations: [] },
    );
    const pages = [];
    for await (const page of listAllocations(client, { node: 'node-1', state: 'active', resource_class: 'bm.small' })) pages.push(page);
    expect(pages).toEqual([[allocationFixture({ state: 'active' })], []]);
  });

  it('lists by owner at 1.60', async () => {
    const { pool, client } = make();
    expectCall(pool, { method: 'GET', path: '/v1/allocations', query: { owner: 'p1', fields: 'uuid,state' }, microversion: '1.60' }).reply(200, {
      allocations: [],
    });
    for await (const page of listAllocations(client, { owner: 'p1', fields: ['uuid', 'state'] })) expect(page).toEqual([]);
  });
});
