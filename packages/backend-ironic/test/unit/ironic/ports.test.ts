import { describe, expect, it } from 'vitest';
import { isConflict } from '../../../src/ironic/errors.js';
import { createPort, deletePort, listPorts } from '../../../src/ironic/ports.js';
import { NODE, ORIGIN, expectCall, ironicError, useIronicMock } from './helpers.js';

const make = useIronicMock();
const PORT = {
  uuid: 'p-1',
  address: '52:54:00:aa:bb:01',
  node_uuid: NODE,
  pxe_enabled: true,
  local_link_connection: {},
  physical_network: null,
  portgroup_uuid: null,
  extra: {},
  created_at: 't',
  updated_at: null,
};

async function all<T>(pages: AsyncIterable<T[]>): Promise<T[]> {
  const items: T[] = [];
  for await (const page of pages) items.push(...page);
  return items;
}

describe('listPorts', () => {
  it('finds ports by MAC, full ports from /detail', async () => {
    const { pool, client } = make();
    expectCall(pool, { method: 'GET', path: '/v1/ports/detail', query: { address: '52:54:00:AA:BB:01' } }).reply(200, { ports: [PORT] });
    expect(await all(listPorts(client, { address: '52:54:00:AA:BB:01' }))).toEqual([PORT]);
  });

  it('filters by node name with ?node= (not /v1/nodes/<name>/ports)', async () => {
    const { pool, client } = make();
    expectCall(pool, { method: 'GET', path: '/v1/ports', query: { node: 'node-1', fields: 'uuid,address' } }).reply(200, {
      ports: [{ uuid: 'p-1', address: PORT.address }],
      next: `${ORIGIN}/v1/ports?node=node-1&fields=uuid,address&marker=p-1`,
    });
    expectCall(pool, { method: 'GET', path: '/v1/ports', query: { node: 'node-1', fields: 'uuid,address', marker: 'p-1' } }).reply(200, {
      ports: [],
      next: null,
    });
    expect(await all(listPorts(client, { node: 'node-1', fields: ['uuid', 'address'] }))).toEqual([{ uuid: 'p-1', address: PORT.address }]);
  });

  it('filters by node UUID, and an unknown MAC is an empty list', async () => {
    const { pool, client } = make();
    expectCall(pool, { method: 'GET', path: '/v1/ports/detail', query: { node_uuid: NODE, limit: '10' } }).reply(200, { ports: [] });
    expect(await all(listPorts(client, { node_uuid: NODE, limit: 10 }))).toEqual([]);
  });
});

describe('createPort and deletePort', () => {
  it('posts the exact body', async () => {
    const { pool, client } = make();
    const body = { node_uuid: NODE, address: '52:54:00:aa:bb:01', pxe_enabled: true, physical_network: 'provisioning' };
    expectCall(pool, { method: 'POST', path: '/v1/ports', body }).reply(201, PORT);
    expect(await createPort(client, body)).toEqual(PORT);
  });

  it('reports a MAC in use as a conflict', async () => {
    const { pool, client } = make();
    expectCall(pool, { method: 'POST', path: '/v1/ports', body: { node_uuid: NODE, address: '52:54:00:aa:bb:02' } }).reply(
      409,
      ironicError('A port with MAC address 52:54:00:aa:bb:02 already exists.'),
    );
    const error = await createPort(client, { node_uuid: NODE, address: '52:54:00:aa:bb:02' }).catch((e: unknown) => e);
    expect(isConflict(error)).toBe(true);
    expect((error as Error).message).toBe(
      `Creating port 52:54:00:aa:bb:02 of node ${NODE}: Ironic answered 409: A port with MAC address 52:54:00:aa:bb:02 already exists.`,
    );
  });

  it('deletes', async () => {
    const { pool, client } = make();
    expectCall(pool, { method: 'DELETE', path: '/v1/ports/p-1' }).reply(204, '');
    await deletePort(client, 'p-1');
  });
});
