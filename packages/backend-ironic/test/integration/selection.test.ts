import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCpiError, type Backend } from '@hybrid-cpi/core';
import { api, enrollFakeNode, removeNodes, type FakeNode } from '../../../../test/support/ironic-nodes.js';
import { STEMCELL, call, makeBackend, sharedLab } from './helpers.js';

const lab = sharedLab();
const rc = `select-${randomUUID().slice(0, 8)}`;
let big: FakeNode, small: FakeNode, gpu: FakeNode, other: FakeNode;
let backend: Backend;
beforeAll(async () => {
  big = await enrollFakeNode(lab, { resourceClass: rc, properties: { memory_mb: 262144, cpus: 64, local_gb: 2000, cpu_arch: 'x86_64' } });
  small = await enrollFakeNode(lab, { resourceClass: rc, properties: { memory_mb: 8192, cpus: 4, local_gb: 100, cpu_arch: 'x86_64' } });
  gpu = await enrollFakeNode(lab, {
    resourceClass: rc,
    traits: ['CUSTOM_GPU'],
    properties: { memory_mb: 65536, cpus: 16, local_gb: 500, cpu_arch: 'aarch64' },
  });
  other = await enrollFakeNode(lab, { resourceClass: `${rc}-other` });
  backend = await makeBackend(lab);
});
afterAll(async () => {
  await backend.close?.();
  await removeNodes(
    lab,
    [big, small, gpu, other].map((n) => n.uuid),
  );
});

async function nodeChosenFor(cloudProperties: Record<string, unknown>): Promise<string> {
  const vm = await backend.createVm(call('create_vm'), {
    agentId: `agent-${randomUUID()}`,
    stemcellCid: STEMCELL,
    cloudProperties,
    networks: { n: { type: 'dynamic', cloud_properties: {} } },
    diskCids: [],
    env: {},
  });
  const [node] = (await api(lab, 'GET', `/v1/nodes?instance_uuid=${vm.cid}&fields=uuid`)).nodes;
  await backend.deleteVm(call('delete_vm'), vm.cid);
  return node.uuid;
}

describe('node selection', () => {
  it.each([
    ['nodes by name', () => ({ nodes: [small.name] }), () => small],
    ['nodes by UUID', () => ({ nodes: [gpu.uuid] }), () => gpu],
    ['macs', () => ({ macs: [big.macs[0]!.toUpperCase()] }), () => big],
    ['ironic_properties minimums', () => ({ ironic_properties: { memory_mb: 100000, cpus: 32 } }), () => big],
    ['ironic_properties cpu_arch', () => ({ ironic_properties: { cpu_arch: 'aarch64' } }), () => gpu],
    ['traits', () => ({ traits: ['CUSTOM_GPU'] }), () => gpu],
    ['resource_class', () => ({ resource_class: `${rc}-other` }), () => other],
  ])('by %s', async (_name, props, expected) => {
    const cloudProperties = { resource_class: rc, ...props() };
    expect(await nodeChosenFor(cloudProperties)).toBe(expected().uuid);
  });

  it('a conductor_group no node is in matches nothing', async () => {
    await expect(nodeChosenFor({ resource_class: rc, conductor_group: 'rack-9' })).rejects.toThrowError(/no free node matches/);
  });

  it('says why each node was rejected when nothing matches', async () => {
    const error = await nodeChosenFor({ resource_class: rc, ironic_properties: { memory_mb: 999999 } }).catch((e: unknown) => e);
    expect(isCpiError(error) && error.type).toBe('Bosh::Clouds::VMCreationFailed');
    expect((error as { okToRetry: boolean }).okToRetry).toBe(false);
    const message = (error as Error).message;
    expect(message).toContain(`${big.name} (${big.uuid}): memory_mb is 262144, less than 999999`);
    expect(message).toContain(`${small.name} (${small.uuid}): memory_mb is 8192, less than 999999`);
    expect(message).toContain(`${other.name} (${other.uuid}): resource_class is "${rc}-other", not '${rc}'`);
  });

  it('never takes a node in maintenance or with a fault', async () => {
    await api(lab, 'PUT', `/v1/nodes/${small.uuid}/maintenance`, { reason: 'disk replacement' });
    try {
      const error = await nodeChosenFor({ resource_class: rc, nodes: [small.name] }).catch((e: unknown) => e as Error);
      expect(String(error)).toContain(`${small.name} (${small.uuid}): in maintenance`);
    } finally {
      await api(lab, 'DELETE', `/v1/nodes/${small.uuid}/maintenance`);
    }
  });
});
