// Health in selection, from the wire shapes Ironic documents: `retired` (API 1.61) and `health`
// (API 1.109) are asked for only where the server has them, so an older server answers as before.
import { describe, expect, it } from 'vitest';
import { claimNode } from '../../src/node/claim.js';
import { preferenceTiers } from '../../src/selection/preference.js';
import { rejection, selectionListing, type SelectableNode } from '../../src/selection/rejections.js';
import { requirementsOf } from '../../src/selection/requirements.js';
import { backendContext, captureLogger, expectCall, ironicError, serverAt, useIronicMock, type Harness } from './ironic/helpers.js';

const make = useIronicMock();
const BASE = 'uuid,name,provision_state,power_state,maintenance,fault,instance_uuid,resource_class,conductor_group,properties,traits,extra';
const CID = '0b7a4c1e-1111-5111-8111-000000000002';

const free: SelectableNode = {
  uuid: 'u-1',
  name: 'n1',
  provision_state: 'available',
  power_state: 'power off',
  maintenance: false,
  fault: null,
  instance_uuid: null,
  resource_class: 'bm',
  extra: {},
};

describe('rejection: a node must be healthy', () => {
  it.each([
    [{ retired: true, retired_reason: 'end of warranty' }, 'retired: end of warranty'],
    [{ retired: true, retired_reason: null }, 'retired: no reason given'],
    [{ power_state: null }, 'power state unknown: Ironic has not read it from the BMC yet'],
    [{ power_state: 'error' }, "power state is 'error': Ironic could not read or set it"],
    [{ health: 'Critical' }, 'hardware health is Critical'],
    [{ health: 'Warning' }, undefined],
    [{ health: 'OK' }, undefined],
    [{ health: null }, undefined],
    [{ retired: false }, undefined],
  ] as const)('%j → %s', (change, expected) => {
    expect(rejection({ ...free, ...change }, requirementsOf({}))).toBe(expected);
  });

  it('a node the CPI quarantined says since when and why, retired or (older Ironic) in maintenance', () => {
    const extra = {
      bosh_failures: {
        count: 2,
        quarantined_at: '2026-12-01T10:00:00.000Z',
        recent: [{ at: '2026-12-01T10:00:00.000Z', step: 'deploying', last_error: 'IPMI timeout', vm: CID }],
      },
    };
    const why =
      'quarantined by the CPI since 2026-12-01T10:00:00.000Z after 2 failed deploys in a row, the last at 2026-12-01T10:00:00.000Z in deploying: IPMI timeout';
    expect(rejection({ ...free, provision_state: 'manageable', retired: true, extra }, requirementsOf({}))).toBe(why);
    expect(rejection({ ...free, maintenance: true, extra }, requirementsOf({}))).toBe(`in maintenance, ${why}`);
  });
});

describe('preferenceTiers', () => {
  it('healthy nodes first, then those with failed deploys on record, then health Warning; each in the order given', () => {
    const a = { ...free, uuid: 'a' };
    const b = { ...free, uuid: 'b', health: 'Warning' };
    const c = { ...free, uuid: 'c', extra: { bosh_failures: { count: 1, recent: [] } } };
    const d = { ...free, uuid: 'd', health: 'OK' };
    expect(preferenceTiers([b, a, c, d]).map((tier) => tier.map((n) => n.uuid))).toEqual([['a', 'd'], ['c'], ['b']]);
    expect(preferenceTiers([b]).map((tier) => tier.map((n) => n.uuid))).toEqual([['b']]);
  });
});

describe('selectionListing: the newer fields where the server has them', () => {
  it.each([
    ['1.52', '1.52', BASE],
    ['1.60', '1.52', BASE],
    ['1.61', '1.61', `${BASE},retired,retired_reason`],
    ['1.82', '1.61', `${BASE},retired,retired_reason`],
    ['1.109', '1.109', `${BASE},retired,retired_reason,health`],
    ['1.115', '1.109', `${BASE},retired,retired_reason,health`],
  ])('a server offering %s is asked at %s for %s', async (offered, microversion, fields) => {
    const harness = make();
    serverAt(harness, offered);
    expect(await selectionListing(harness.client, ['last_error'])).toEqual({ fields: [...fields.split(','), 'last_error'], microversion });
  });
});

describe('claimNode and hardware health', () => {
  const listing = (harness: Harness, microversion: string, fields: string, nodes: unknown[]) =>
    expectCall(harness.pool, {
      method: 'GET',
      path: '/v1/nodes',
      microversion,
      query: { provision_state: 'available', associated: 'false', maintenance: 'false', resource_class: 'bm', fields, limit: '1000' },
    }).reply(200, { nodes, next: null });
  const claim = (harness: Harness, uuid: string) =>
    expectCall(harness.pool, { method: 'PATCH', path: `/v1/nodes/${uuid}`, body: [{ op: 'add', path: '/instance_uuid', value: CID }] });
  const request = { cid: CID, agentId: 'a-1', requirements: requirementsOf({ resource_class: 'bm' }), signal: new AbortController().signal };

  it('on API 1.109: never a Critical node; a Warning node last, and logged', async () => {
    const harness = make();
    const logs = captureLogger();
    serverAt(harness, '1.110');
    listing(harness, '1.109', `${BASE},retired,retired_reason,health`, [
      { ...free, uuid: 'critical', health: 'Critical', retired: false, retired_reason: null },
      { ...free, uuid: 'warning', health: 'Warning', retired: false, retired_reason: null },
      { ...free, uuid: 'ok', health: 'OK', retired: false, retired_reason: null },
    ]);
    claim(harness, 'ok').reply(409, ironicError(`Node ok is associated with instance ${'f'.repeat(8)}-0000-4000-8000-000000000000.`));
    claim(harness, 'warning').reply(200, {});
    expect(await claimNode(backendContext(harness.client, {}, logs), request)).toEqual({ uuid: 'warning' });
    expect(logs.entries.filter((l) => l.level === 'warn')).toEqual([
      { level: 'warn', fields: { node: 'warning', vm: CID }, msg: 'took a node whose hardware health is Warning: no healthier node that fits was free' },
    ]);
  });

  it('on an older server (API 1.60): the same request as ever, without the newer fields, and nothing to judge them by', async () => {
    const harness = make();
    serverAt(harness, '1.60');
    listing(harness, '1.52', BASE, [{ ...free, uuid: 'plain' }]);
    claim(harness, 'plain').reply(200, {});
    expect(await claimNode(backendContext(harness.client), request)).toEqual({ uuid: 'plain' });
  });

  it('a node whose power state Ironic never read is no candidate: no power action is sent for it', async () => {
    const harness = make();
    serverAt(harness, '1.82');
    listing(harness, '1.61', `${BASE},retired,retired_reason`, [{ ...free, uuid: 'unread', power_state: null, retired: false }]);
    expectCall(harness.pool, {
      method: 'GET',
      path: '/v1/nodes',
      microversion: '1.61',
      query: { fields: `${BASE},retired,retired_reason`, limit: '1000' },
    }).reply(200, {
      nodes: [{ ...free, uuid: 'unread', power_state: null, retired: false }],
      next: null,
    });
    await expect(claimNode(backendContext(harness.client), request)).rejects.toThrowError(
      /no free node matches the vm_type's cloud_properties\. n1 \(unread\): power state unknown: Ironic has not read it from the BMC yet$/,
    );
  });
});
