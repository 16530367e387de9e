// Quarantine kept in Ironic, from the documented wire shapes: retirement (API 1.61), maintenance
// on an older server, abort of a deploy in `wait call-back` (API 1.110), and what nodes shows.
import { describe, expect, it } from 'vitest';
import { nodeStatus } from '../../src/operator/node-status.js';
import type { PoolNode } from '../../src/operator/pool.js';
import { keepQuarantined, recordFailure, recordReleased } from '../../src/node/quarantine.js';
import { describeFailures, quarantineReason, withFailure, type FailureEntry } from '../../src/quarantine/records.js';
import { abortDeploy, giveBackNode } from '../../src/node/give-back.js';
import type { Node } from '../../src/ironic/types.js';
import {
  NODE,
  backendContext,
  captureLogger,
  expectCall,
  expectLock,
  ironicError,
  nodeFixture,
  serverAt,
  useIronicMock,
  type Harness,
} from './ironic/helpers.js';

const make = useIronicMock();
const CID = '0b7a4c1e-1111-5111-8111-000000000002';
const entry = (at: string, last_error = 'IPMI timeout'): FailureEntry => ({ at, step: 'deploying', last_error, vm: CID });
const signal = new AbortController().signal;

describe('the failure record', () => {
  it('counts failures in a row and keeps the last five', () => {
    let record = withFailure(undefined, entry('t1'));
    for (const at of ['t2', 't3', 't4', 't5', 't6', 't7']) record = withFailure(record, entry(at));
    expect(record.count).toBe(7);
    expect(record.recent.map((e) => e.at)).toEqual(['t3', 't4', 't5', 't6', 't7']);
    expect(describeFailures(withFailure(undefined, entry('t1')))).toBe('1 failed deploy, the last at t1 in deploying: IPMI timeout');
    expect(describeFailures(record)).toBe('7 failed deploys in a row, the last at t7 in deploying: IPMI timeout');
  });

  it('gives Ironic a marked reason of at most 255 characters', () => {
    const reason = quarantineReason(withFailure(undefined, entry('t1', 'x'.repeat(1000))));
    expect(reason).toMatch(/^hybrid-cpi quarantine: 1 failed deploy, the last at t1 in deploying: x+…$/);
    expect(reason).toHaveLength(255);
  });
});

describe('recordFailure', () => {
  const failed = nodeFixture({ provision_state: 'deploy failed', target_provision_state: 'active', instance_uuid: CID, last_error: 'IPMI timeout' });

  it("below quarantine_after: the record alone, at the client's microversion", async () => {
    const harness = make();
    expectCall(harness.pool, {
      method: 'PATCH',
      path: `/v1/nodes/${NODE}`,
      body: [{ op: 'add', path: '/extra/bosh_failures', value: { count: 1, recent: [entry('t1')] } }],
    }).reply(200, failed);
    const recorded = await recordFailure(backendContext(harness.client), failed, entry('t1'), signal);
    expect(recorded.quarantined).toBeUndefined();
  });

  it('at quarantine_after on API 1.61: one request records it and retires the node with the reason', async () => {
    const harness = make();
    const logs = captureLogger();
    serverAt(harness, '1.82');
    const before = { ...failed, extra: { bosh_failures: { count: 1, recent: [entry('t1')] } } };
    const record = { count: 2, recent: [entry('t1'), entry('t2')], quarantined_at: 't2' };
    expectCall(harness.pool, {
      method: 'PATCH',
      path: `/v1/nodes/${NODE}`,
      microversion: '1.61',
      body: [
        { op: 'add', path: '/extra/bosh_failures', value: record },
        { op: 'replace', path: '/retired', value: true },
        { op: 'replace', path: '/retired_reason', value: 'hybrid-cpi quarantine: 2 failed deploys in a row, the last at t2 in deploying: IPMI timeout' },
      ],
    }).reply(200, { ...before, retired: true });
    expect((await recordFailure(backendContext(harness.client, {}, logs), before, entry('t2'), signal)).quarantined).toEqual(record);
    expect(logs.entries.map((l) => [l.level, l.msg, l.fields['how']])).toEqual([
      ['warn', 'quarantined the node: it leaves every pool until an operator returns it', 'retired'],
    ]);
  });

  it('an available node (a deploy Ironic refused) is moved to manageable first: Ironic retires no available node', async () => {
    const harness = make();
    serverAt(harness, '1.61');
    const available = nodeFixture({ instance_uuid: CID });
    expectCall(harness.pool, { method: 'PUT', path: `/v1/nodes/${NODE}/states/provision`, body: { target: 'manage' } }).reply(202, '');
    expectCall(harness.pool, { method: 'GET', path: `/v1/nodes/${NODE}` }).reply(200, nodeFixture({ provision_state: 'manageable', instance_uuid: CID }));
    expectCall(harness.pool, {
      method: 'PATCH',
      path: `/v1/nodes/${NODE}`,
      microversion: '1.61',
      body: [
        { op: 'add', path: '/extra/bosh_failures', value: { count: 1, recent: [entry('t1')], quarantined_at: 't1' } },
        { op: 'replace', path: '/retired', value: true },
        { op: 'replace', path: '/retired_reason', value: 'hybrid-cpi quarantine: 1 failed deploy, the last at t1 in deploying: IPMI timeout' },
      ],
    }).reply(200, available);
    expect((await recordFailure(backendContext(harness.client, { quarantine_after: 1 }), available, entry('t1'), signal)).quarantined?.count).toBe(1);
  });

  it('quarantine_after 0 never quarantines', async () => {
    const harness = make();
    expectCall(harness.pool, {
      method: 'PATCH',
      path: `/v1/nodes/${NODE}`,
      body: [{ op: 'add', path: '/extra/bosh_failures', value: { count: 1, recent: [entry('t1')] } }],
    }).reply(200, failed);
    expect((await recordFailure(backendContext(harness.client, { quarantine_after: 0 }), failed, entry('t1'), signal)).quarantined).toBeUndefined();
  });
});

describe('recordReleased: the failure of a node torn down before it could be written', () => {
  it('claims the node again together with the record, then gives it back', async () => {
    const harness = make();
    expectCall(harness.pool, { method: 'PATCH', path: `/v1/nodes/${NODE}`, body: [{ op: 'add', path: '/instance_uuid', value: CID }] }).reply(
      200,
      nodeFixture({ instance_uuid: CID }),
    );
    expectCall(harness.pool, {
      method: 'PATCH',
      path: `/v1/nodes/${NODE}`,
      body: [{ op: 'add', path: '/extra/bosh_failures', value: { count: 1, recent: [entry('t1')] } }],
    }).reply(200, nodeFixture({ instance_uuid: CID }));
    expectCall(harness.pool, { method: 'PATCH', path: `/v1/nodes/${NODE}`, body: [{ op: 'remove', path: '/instance_uuid' }] }).reply(200, nodeFixture());
    expect(await recordReleased(backendContext(harness.client), NODE, entry('t1'), signal)).toBeUndefined();
  });

  it('a node another claimant took in between is left alone, its failure unrecorded', async () => {
    const harness = make();
    const logs = captureLogger();
    expectCall(harness.pool, { method: 'PATCH', path: `/v1/nodes/${NODE}`, body: [{ op: 'add', path: '/instance_uuid', value: CID }] }).reply(
      409,
      ironicError(`Node ${NODE} is associated with instance 11111111-2222-4333-8444-555555555555.`),
    );
    expect(await recordReleased(backendContext(harness.client, {}, logs), NODE, entry('t1'), signal)).toBeUndefined();
    expect(logs.entries.map((l) => l.msg)).toEqual(['another claimant took the node before its failed deploy was recorded']);
  });
});

describe('keepQuarantined', () => {
  const record = { count: 2, recent: [entry('t2')], quarantined_at: 't2' };

  it('on an Ironic older than API 1.61: maintenance with the reason, once released', async () => {
    const harness = make();
    serverAt(harness, '1.60');
    expectCall(harness.pool, { method: 'PUT', path: `/v1/nodes/${NODE}/maintenance`, body: { reason: quarantineReason(record) } }).reply(202, '');
    await keepQuarantined(backendContext(harness.client), NODE, record, signal);
  });

  it('a retired node that came back available (no cleaning ran) is moved to manageable; one in manageable is left', async () => {
    const harness = make();
    serverAt(harness, '1.61');
    expectCall(harness.pool, { method: 'GET', path: `/v1/nodes/${NODE}` }).reply(200, nodeFixture({ provision_state: 'manageable' }));
    await keepQuarantined(backendContext(harness.client), NODE, record, signal);
    expectCall(harness.pool, { method: 'GET', path: `/v1/nodes/${NODE}` }).reply(200, nodeFixture());
    expectCall(harness.pool, { method: 'PUT', path: `/v1/nodes/${NODE}/states/provision`, body: { target: 'manage' } }).reply(202, '');
    expectCall(harness.pool, { method: 'GET', path: `/v1/nodes/${NODE}` }).reply(200, nodeFixture({ provision_state: 'manageable' }));
    await keepQuarantined(backendContext(harness.client), NODE, record, signal);
  });
});

describe('ending a deploy that waits for its call-back', () => {
  const waiting = nodeFixture({
    provision_state: 'wait call-back',
    target_provision_state: 'active',
    instance_uuid: CID,
    extra: { bosh_vm: { cid: CID, agent_id: 'a', enrolled: false } },
  });

  it('on API 1.110: abort, to deploy failed', async () => {
    const harness = make();
    serverAt(harness, '1.110');
    expectCall(harness.pool, { method: 'PUT', path: `/v1/nodes/${NODE}/states/provision`, microversion: '1.110', body: { target: 'abort' } }).reply(202, '');
    expectCall(harness.pool, { method: 'GET', path: `/v1/nodes/${NODE}` }).reply(200, {
      ...waiting,
      provision_state: 'deploy failed',
      last_error: 'Deployment aborted',
    });
    expect((await abortDeploy(backendContext(harness.client), waiting, 'Ending it', signal)).provision_state).toBe('deploy failed');
  });

  it('on an older Ironic: nothing to abort with; release tears the node down from wait call-back at once', async () => {
    const harness = make();
    serverAt(harness, '1.82');
    expect(await abortDeploy(backendContext(harness.client), waiting, 'Ending it', signal)).toBe(waiting);
    // Decided under the node's lock: the deploy is torn down at once, without a write first (Ironic refuses one there).
    expectLock(harness, waiting).unlock();
    expectCall(harness.pool, { method: 'PUT', path: `/v1/nodes/${NODE}/states/provision`, body: { target: 'deleted' } }).reply(202, '');
    expectCall(harness.pool, { method: 'GET', path: `/v1/nodes/${NODE}` }).reply(200, nodeFixture({ extra: waiting.extra }));
    // The teardown dropped the claim; the VM's record goes next, under the lock again.
    const again = expectLock(harness, nodeFixture({ extra: waiting.extra }));
    expectCall(harness.pool, { method: 'PATCH', path: `/v1/nodes/${NODE}`, body: [{ op: 'remove', path: '/extra/bosh_vm' }] }).reply(200, nodeFixture());
    again.unlock();
    await giveBackNode(backendContext(harness.client), waiting, CID, signal);
  });
  it('on an older Ironic, a node someone else claims once the teardown dropped the claim is theirs: left alone', async () => {
    const harness = make();
    serverAt(harness, '1.82');
    expectLock(harness, waiting).unlock();
    expectCall(harness.pool, { method: 'PUT', path: `/v1/nodes/${NODE}/states/provision`, body: { target: 'deleted' } }).reply(202, '');
    expectCall(harness.pool, { method: 'GET', path: `/v1/nodes/${NODE}` }).reply(200, nodeFixture({ extra: waiting.extra }));
    // No PATCH: neither the claim nor the leftover record of a node another claimant holds now.
    expectLock(harness, nodeFixture({ extra: waiting.extra, instance_uuid: '99999999-0000-4000-8000-000000000009' })).unlock();
    await giveBackNode(backendContext(harness.client), waiting, CID, signal);
  });
});

describe('a deploy waiting for its call-back on a node that holds persistent disks (a rebuild in place)', () => {
  const RESERVATION = 'c0c0c0c0-0000-4000-8000-000000000003';
  const VM = `${NODE}.${CID}`;
  const disk = { device: '/dev/sdc', size_mb: 1024, hint: '/dev/sdc', attached_to: VM, metadata: {} };
  const extra = { bosh_vm: { cid: VM, agent_id: 'a', enrolled: false }, bosh_disks: { abcdef012345: disk }, bosh_reservation: { uuid: RESERVATION } };
  const at = (provision_state: Node['provision_state'], target_provision_state: Node['target_provision_state'] = null) =>
    nodeFixture({ provision_state, target_provision_state, instance_uuid: RESERVATION, power_state: 'power on', extra });
  /** The park of delete_vm once the node rests in deploy failed: the mark under the lock, then power off. */
  function expectPark(harness: Harness): void {
    const lock = expectLock(harness, at('deploy failed', 'active'));
    const parks = (body: string) => {
      const ops = JSON.parse(body) as { op: string; path: string; value?: { vm?: string } }[];
      return (
        ops.some((o) => o.path === '/extra/bosh_parked' && o.value?.vm === VM) &&
        ops.some((o) => o.op === 'remove' && o.path === '/extra/bosh_vm') &&
        !ops.some((o) => o.path === '/instance_uuid')
      );
    };
    harness.pool.intercept({ method: 'PATCH', path: `/v1/nodes/${NODE}`, body: parks }).reply(200, at('deploy failed', 'active'));
    lock.unlock();
    expectCall(harness.pool, { method: 'GET', path: `/v1/nodes/${NODE}` }).reply(200, at('deploy failed', 'active'));
    expectCall(harness.pool, { method: 'PUT', path: `/v1/nodes/${NODE}/states/power`, body: { target: 'power off' } }).reply(202, '');
    expectCall(harness.pool, { method: 'GET', path: `/v1/nodes/${NODE}` }).reply(200, { ...at('deploy failed', 'active'), power_state: 'power off' });
  }

  it('on API 1.110: delete_vm aborts it, then parks the node, still claimed by its disks', async () => {
    const harness = make();
    serverAt(harness, '1.110');
    expectLock(harness, at('wait call-back', 'active')).unlock();
    expectCall(harness.pool, { method: 'PUT', path: `/v1/nodes/${NODE}/states/provision`, microversion: '1.110', body: { target: 'abort' } }).reply(202, '');
    expectCall(harness.pool, { method: 'GET', path: `/v1/nodes/${NODE}` }).reply(200, at('deploy failed', 'active'));
    expectPark(harness);
    await giveBackNode(backendContext(harness.client), { uuid: NODE }, VM, signal);
  });

  it('on an older Ironic: never torn down (that would unclaim and clean it): waited out, then parked', async () => {
    const harness = make();
    serverAt(harness, '1.82');
    expectLock(harness, at('wait call-back', 'active')).unlock();
    // Ironic's own call-back timeout fails the deploy; no teardown was ever asked for.
    expectCall(harness.pool, { method: 'GET', path: `/v1/nodes/${NODE}` }).reply(200, at('deploy failed', 'active'));
    expectPark(harness);
    await giveBackNode(backendContext(harness.client), { uuid: NODE }, VM, signal);
  });
});

describe('nodeStatus of quarantined and unhealthy nodes', () => {
  const node = (overrides: Partial<PoolNode> = {}): PoolNode =>
    ({
      uuid: NODE,
      name: 'n1',
      provision_state: 'available',
      power_state: 'power off',
      maintenance: false,
      maintenance_reason: null,
      fault: null,
      instance_uuid: null,
      resource_class: 'general',
      conductor_group: '',
      properties: {},
      traits: [],
      extra: {},
      last_error: null,
      target_provision_state: null,
      ...overrides,
    }) as PoolNode;
  const record = { bosh_failures: { count: 2, quarantined_at: 't2', recent: [entry('t2')] } };

  it.each([
    [
      { provision_state: 'manageable', retired: true, retired_reason: 'x', extra: record },
      'quarantined',
      'retired, quarantined by the CPI since t2 after 2 failed deploys in a row, the last at t2 in deploying: IPMI timeout',
    ],
    [{ provision_state: 'manageable', retired: true, retired_reason: 'end of warranty' }, 'quarantined', 'retired: end of warranty'],
    [
      { maintenance: true, maintenance_reason: 'hybrid-cpi quarantine: …', extra: record },
      'quarantined',
      'maintenance, quarantined by the CPI since t2 after 2 failed deploys in a row, the last at t2 in deploying: IPMI timeout',
    ],
    [{ power_state: 'error' }, 'quarantined', "power state 'error'"],
    [{ health: 'Critical' }, 'quarantined', 'hardware health Critical'],
    [{ power_state: null }, 'unavailable', 'power state unknown: Ironic has not read it from the BMC yet'],
    [{ health: 'Warning' }, 'free', 'hardware health Warning: taken last'],
    [{ extra: { bosh_failures: { count: 1, recent: [entry('t1')] } } }, 'free', '1 failed deploy, the last at t1 in deploying: IPMI timeout'],
    [{ health: 'OK' }, 'free', null],
  ] as const)('%j → %s (%s)', (overrides, use, reason) => {
    expect(nodeStatus(node(overrides as Partial<PoolNode>))).toMatchObject({ use, reason });
  });
});
