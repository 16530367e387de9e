import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCpiError, type Backend, type CallContext, type NativeCid } from '@hybrid-cpi/core';
import { startFaultProxy, type FaultProxy } from '../../../../test/support/fault-proxy.js';
import { api, enrollFakeNode, removeNodes, waitFor, type FakeNode } from '../../../../test/support/ironic-nodes.js';
import type { IronicConfig } from '../../src/config.js';
import { globalRequestId } from '../../src/ironic/request-id.js';
import { assessNodes } from '../../src/operator/fit.js';
import { nodeStatus } from '../../src/operator/node-status.js';
import { openPool } from '../../src/operator/pool.js';
import { unquarantineNode } from '../../src/operator/unquarantine.js';
import { requirementsOf } from '../../src/selection/requirements.js';
import { STEMCELL, call, imageServer, makeBackend, sharedLab } from './helpers.js';

const lab = sharedLab();
let proxy: FaultProxy;
const enrolled: FakeNode[] = [];
const backends: Backend[] = [];

beforeAll(async () => {
  proxy = await startFaultProxy(lab.url, { seed: 12 });
});
afterAll(async () => {
  for (const b of backends) await b.close?.();
  await proxy.stop();
  await removeNodes(
    lab,
    enrolled.map((n) => n.uuid),
  );
});

/** A backend whose Ironic requests pass the fault proxy. */
async function viaProxy(extra: Partial<IronicConfig> = {}): Promise<Backend> {
  const backend = await makeBackend({ ...lab, url: proxy.url }, extra);
  backends.push(backend);
  return backend;
}

async function pool(size: number, spec: Parameters<typeof enrollFakeNode>[1] = {}): Promise<{ rc: string; nodes: FakeNode[] }> {
  const rc = `resched-${randomUUID().slice(0, 8)}`;
  const nodes: FakeNode[] = [];
  for (let i = 0; i < size; i++) nodes.push(await enrollFakeNode(lab, { resourceClass: rc, ...spec }));
  enrolled.push(...nodes);
  return { rc, nodes };
}

const createVm = (
  backend: Backend,
  cloudProperties: Record<string, unknown>,
  options: { diskCids?: NativeCid<'disk'>[]; call?: CallContext; stemcell?: NativeCid<'stemcell'> } = {},
) =>
  backend.createVm(options.call ?? call('create_vm'), {
    agentId: `agent-${randomUUID()}`,
    stemcellCid: options.stemcell ?? STEMCELL,
    cloudProperties,
    networks: { n: { type: 'dynamic', cloud_properties: {} } },
    diskCids: options.diskCids ?? [],
    env: {},
  });
const node = (uuid: string) => api(lab, 'GET', `/v1/nodes/${uuid}`);
const nodeOfVm = async (cid: string) => (await api(lab, 'GET', `/v1/nodes?instance_uuid=${cid}&fields=uuid`)).nodes[0]?.uuid as string | undefined;
const allocations = async () => (await api(lab, 'GET', '/v1/allocations')).allocations as { uuid: string; node_uuid: string | null }[];
/** What the CPI sent that would change a node (the listings name no node). */
const changesTo = (uuid: string, from: number) => proxy.requests.slice(from).filter((r) => r.node === uuid && r.method !== 'GET');
/** The error a call must fail with. */
async function failure(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  if (error === undefined) throw new Error('the call succeeded, but it should have failed');
  return error;
}
const LAST_ERROR = 'Deploy step deploy.write_image failed: the disk did not answer (injected by the fault proxy)';

describe('a deploy that fails on the chosen node', () => {
  it('moves create_vm to another node in the same call; failures are recorded, then the node is quarantined, shown, never taken, and returned', async () => {
    const { rc, nodes } = await pool(2);
    const backend = await viaProxy();
    const director = { ...call('create_vm'), requestId: `cpi-${Math.floor(100000 + Math.random() * 900000)}` };

    // 1. The first deploy fails, whichever node it is: the call ends on the other node.
    const once = proxy.failDeploys({ count: 1 });
    const vm = await createVm(backend, { resource_class: rc }, { call: director });
    once.stop();
    const [failing] = once.failed;
    const good = nodes.find((n) => n.uuid !== failing)!;
    const bad = nodes.find((n) => n.uuid === failing)!;
    expect(await nodeOfVm(vm.cid)).toBe(good.uuid);
    const rolledBack = await node(bad.uuid);
    expect(rolledBack).toMatchObject({ provision_state: 'available', instance_uuid: null, instance_info: {}, maintenance: false, retired: false });
    expect(rolledBack.extra).toEqual({
      bosh_failures: { count: 1, recent: [{ at: expect.any(String), step: 'deploying', last_error: LAST_ERROR, vm: vm.cid }] },
    });
    expect((await allocations()).filter((a) => a.uuid === vm.cid)).toEqual([expect.objectContaining({ node_uuid: good.uuid })]);

    // The director's request id reached Ironic as its global request id, for both nodes.
    const id = globalRequestId(director.requestId)!;
    const logged = fs
      .readFileSync(path.join(lab.dir, 'ironic.log'), 'utf8')
      .split('\n')
      .filter((l) => l.includes(`[${id} req-`));
    expect(logged.some((l) => l.includes(`PATCH /v1/nodes/${bad.uuid}`))).toBe(true);
    expect(logged.some((l) => l.includes(`PUT /v1/nodes/${good.uuid}/states/provision`))).toBe(true);

    // 2. Its second failure in a row quarantines it: retired, parked in manageable, out of the pool.
    const always = proxy.failDeploys({ node: bad.uuid });
    const error = await failure(createVm(backend, { resource_class: rc }));
    always.stop();
    expect(isCpiError(error) && error.type).toBe('Bosh::Clouds::VMCreationFailed');
    expect(error.message).toContain(
      `the deploy failed on the only node tried, and no other free node matches the vm_type's cloud_properties: ${bad.name} (${bad.uuid}): deploying: ` +
        `${LAST_ERROR} (now quarantined)`,
    );
    expect((error as { okToRetry?: boolean }).okToRetry).toBe(true);
    const quarantined = await node(bad.uuid);
    expect(quarantined).toMatchObject({ provision_state: 'manageable', instance_uuid: null, instance_info: {}, retired: true, maintenance: false });
    expect(quarantined.retired_reason).toMatch(/^hybrid-cpi quarantine: 2 failed deploys in a row, the last at \S+ in deploying: Deploy step/);
    expect(quarantined.extra.bosh_failures).toMatchObject({ count: 2, quarantined_at: expect.any(String) });
    expect(Object.keys(quarantined.extra)).toEqual(['bosh_failures']);
    expect((await allocations()).filter((a) => a.node_uuid === bad.uuid)).toEqual([]);

    // 3. nodes and explain say why and since when.
    const config = { type: 'ironic' as const, ironic: { url: lab.url } };
    const view = await openPool(config);
    const listed = await view.nodes();
    await view.close();
    const since = quarantined.extra.bosh_failures.quarantined_at as string;
    expect(nodeStatus(listed.find((n) => n.uuid === bad.uuid)!)).toMatchObject({
      use: 'quarantined',
      reason: expect.stringContaining(`retired, quarantined by the CPI since ${since} after 2 failed deploys in a row`),
    });
    const fits = assessNodes(
      listed.filter((n) => n.resource_class === rc),
      requirementsOf({ resource_class: rc }),
    );
    expect(fits.find((f) => f.node.uuid === bad.uuid)?.rejection).toMatch(new RegExp(`^quarantined by the CPI since ${since}`));

    // 4. Never taken again: with the good node free, create_vm goes there without touching the bad one.
    await backend.deleteVm(call('delete_vm'), vm.cid);
    const mark = proxy.requests.length;
    const next = await createVm(backend, { resource_class: rc });
    expect(await nodeOfVm(next.cid)).toBe(good.uuid);
    expect(changesTo(bad.uuid, mark)).toEqual([]);
    // A good deploy leaves no record behind.
    expect((await node(good.uuid)).extra.bosh_failures).toBeUndefined();
    await backend.deleteVm(call('delete_vm'), next.cid);

    // 5. An operator returns it: record gone, not retired, cleaned and available again.
    expect(await unquarantineNode(config, bad.name)).toMatchObject({
      uuid: bad.uuid,
      done: ['forgot 2 failed deploys', 'un-retired it', 'provided it: Ironic cleans it, then it is available'],
    });
    expect(await waitFor(lab, bad.uuid, 'available')).toMatchObject({ retired: false, retired_reason: null, extra: {}, instance_uuid: null });
    await expect(unquarantineNode(config, bad.uuid)).rejects.toThrowError(/the CPI did not quarantine it: it has no failed deploys on record/);
  });

  it('in a pool where every node fails: one VMCreationFailed naming each attempt, and nothing left claimed', async () => {
    const { rc, nodes } = await pool(3);
    const backend = await viaProxy({ quarantine_after: 5 });
    const all = proxy.failDeploys();
    const error = await failure(createVm(backend, { resource_class: rc }));
    all.stop();
    expect(isCpiError(error) && error.type).toBe('Bosh::Clouds::VMCreationFailed');
    expect(error.message).toMatch(/: the deploy failed on each of 3 nodes tried, and max_deploy_attempts is 3: /);
    expect(new Set(all.failed)).toEqual(new Set(nodes.map((n) => n.uuid)));
    for (const n of nodes) {
      expect(error.message).toContain(`${n.name} (${n.uuid}): deploying: ${LAST_ERROR}`);
      const after = await node(n.uuid);
      expect(after).toMatchObject({ provision_state: 'available', instance_uuid: null, instance_info: {}, retired: false, maintenance: false });
      expect(after.extra).toEqual({ bosh_failures: expect.objectContaining({ count: 1 }) });
    }
    expect((await allocations()).filter((a) => nodes.some((n) => n.uuid === a.node_uuid))).toEqual([]);
  });

  it("a create_vm bound to its disk's node does not move: it fails with that node's error", async () => {
    const { rc, nodes } = await pool(2);
    const backend = await viaProxy();
    const disk = await backend.createDisk(call('create_disk'), { size: 1024, cloudProperties: { resource_class: rc }, vmCid: undefined });
    const host = disk.split('.')[0]!;
    const other = nodes.find((n) => n.uuid !== host)!;
    const failing = proxy.failDeploys({ node: host });
    const mark = proxy.requests.length;
    const error = await failure(createVm(backend, { resource_class: rc }, { diskCids: [disk] }));
    failing.stop();
    expect(isCpiError(error) && error.type).toBe('Bosh::Clouds::VMCreationFailed');
    expect(error.message).toMatch(new RegExp(`on node ${host}: .*deploy failed.*${LAST_ERROR.replace(/[()]/g, '\\$&')}`));
    expect(changesTo(other.uuid, mark)).toEqual([]);
    const after = await node(host);
    expect(after.instance_uuid).toBe(after.extra.bosh_reservation.uuid);
    expect(Object.keys(after.extra.bosh_disks)).toEqual([disk.split('.')[1]]);
    await backend.deleteDisk(call('delete_disk'), disk);
  });
});

describe('a deploy stuck in wait call-back', () => {
  // The lab's `direct` deploy interface has no agent to call back: a real `wait call-back` that
  // never ends (Ironic 21.4, API 1.82: no abort there, so the CPI tears it down).
  async function stuckNode(rc: string): Promise<FakeNode> {
    const stuck = await enrollFakeNode(lab, { resourceClass: rc });
    enrolled.push(stuck);
    // Cleaning would wait for the agent too: this node skips it.
    await api(lab, 'PATCH', `/v1/nodes/${stuck.uuid}`, [
      { op: 'replace', path: '/deploy_interface', value: 'direct' },
      { op: 'replace', path: '/automated_clean', value: false },
    ]);
    return stuck;
  }

  it("is torn down after deploy_callback_timeout_seconds and the VM goes to another node; the good deploy clears that node's record", async () => {
    const image = await imageServer();
    try {
      const rc = `stuck-${randomUUID().slice(0, 8)}`;
      const stuck = await stuckNode(rc);
      // A node with a failed deploy on record is taken after the clean one: the stuck node goes first.
      const spare = await enrollFakeNode(lab, { resourceClass: rc });
      enrolled.push(spare);
      await api(lab, 'PATCH', `/v1/nodes/${spare.uuid}`, [{ op: 'add', path: '/extra/bosh_failures', value: { count: 1, recent: [] } }]);
      const backend = await makeBackend(lab, { deploy_callback_timeout_seconds: 2 });
      backends.push(backend);
      const vm = await createVm(
        backend,
        { resource_class: rc },
        { stemcell: STEMCELL.replace('http://127.0.0.1:9/stemcell.qcow2', image.url) as NativeCid<'stemcell'> },
      );
      expect(await nodeOfVm(vm.cid)).toBe(spare.uuid);
      expect((await node(spare.uuid)).extra).toEqual({ bosh_vm: expect.objectContaining({ cid: vm.cid }) });
      const after = await node(stuck.uuid);
      expect(after).toMatchObject({ provision_state: 'available', instance_uuid: null, instance_info: {} });
      expect(after.extra.bosh_failures).toMatchObject({
        count: 1,
        recent: [{ step: 'wait call-back', last_error: 'no call-back from the deploy agent within deploy_callback_timeout_seconds (2 s)' }],
      });
      await backend.deleteVm(call('delete_vm'), vm.cid);
    } finally {
      image.close();
    }
  });

  it('on the only node that fits: VMCreationFailed naming it, and the node, quarantined at once here, parked out of the pool', async () => {
    const image = await imageServer();
    try {
      const rc = `stuck-${randomUUID().slice(0, 8)}`;
      const stuck = await stuckNode(rc);
      const backend = await makeBackend(lab, { deploy_callback_timeout_seconds: 1, quarantine_after: 1 });
      backends.push(backend);
      const error = await failure(
        createVm(backend, { resource_class: rc }, { stemcell: STEMCELL.replace('http://127.0.0.1:9/stemcell.qcow2', image.url) as NativeCid<'stemcell'> }),
      );
      expect(isCpiError(error) && error.type).toBe('Bosh::Clouds::VMCreationFailed');
      expect(error.message).toContain(
        `${stuck.name} (${stuck.uuid}): wait call-back: no call-back from the deploy agent within deploy_callback_timeout_seconds (1 s) (now quarantined)`,
      );
      // Retired without cleaning, Ironic makes it available: the CPI parks it in manageable.
      const after = await waitFor(lab, stuck.uuid, 'manageable');
      expect(after).toMatchObject({ instance_uuid: null, instance_info: {}, retired: true, extra: { bosh_failures: { count: 1 } } });
    } finally {
      image.close();
    }
  });
});
