// Failure domains (placement/): the instance group of a create_vm, the domain a node's property,
// trait or LLDP switch names (LLDP from the inventory's documented wire shapes: the lab's fake
// nodes have none), the order create_vm tries them in, and the requests it makes for it.
import { describe, expect, it } from 'vitest';
import { claimNode } from '../../src/node/claim.js';
import { describeDomains, lldpSwitch, namedDomain, switchOfInventory, switchOfTlvs } from '../../src/placement/domains.js';
import { instanceGroupOf } from '../../src/placement/instance-group.js';
import { LLDP_LOOKUPS, countInstances, spreadOrder } from '../../src/placement/spread.js';
import type { SelectableNode } from '../../src/selection/rejections.js';
import { requirementsOf } from '../../src/selection/requirements.js';
import { NODE, backendContext, captureLogger, expectCall, ironicError, serverAt, useIronicMock, type Harness } from './ironic/helpers.js';

const make = useIronicMock();
const hex = (text: string) => Buffer.from(text, 'utf8').toString('hex');

describe('instanceGroupOf', () => {
  it.each([
    [{ bosh: { group: 'd1-cf-router', groups: ['d1', 'cf', 'router', 'd1-cf', 'cf-router', 'd1-cf-router'] } }, 'd1-cf-router'],
    [{ bosh: { groups: ['d1', 'cf', 'router', 'd1-cf', 'cf-router', 'd1-cf-router'] } }, 'cf-router'],
    [{ bosh: { group: '', groups: ['d1', 'cf', 'router'] } }, 'cf-router'],
    [{ bosh: { groups: ['d1'] } }, undefined],
    [{ bosh: { password: 'x' } }, undefined],
    [{ bosh: 'nonsense' }, undefined],
    [{}, undefined],
  ])('%j → %s', (env, group) => {
    expect(instanceGroupOf(env)).toBe(group);
  });
});

describe('namedDomain: a property, else a trait', () => {
  const config = { property: 'rack', trait_prefix: 'CUSTOM_RACK_' };
  it.each([
    [{ properties: { rack: 'r12' }, traits: ['CUSTOM_RACK_R9'] }, 'r12'],
    [{ properties: { rack: 7 } }, '7'],
    [{ properties: { rack: '' }, traits: ['CUSTOM_GPU', 'CUSTOM_RACK_R9'] }, 'R9'],
    [{ properties: {}, traits: ['CUSTOM_RACK_'] }, undefined],
    [{ properties: { rack: { nested: true } }, traits: null }, undefined],
  ])('%j → %s', (node, domain) => {
    expect(namedDomain(config, node)).toBe(domain);
  });

  it('describes its sources in the order they are tried', () => {
    expect(describeDomains({ property: 'rack', trait_prefix: 'CUSTOM_RACK_', lldp: true })).toBe(
      'node property rack, then trait CUSTOM_RACK_*, then LLDP switch of the PXE port (inspection inventory)',
    );
  });
});

describe('the LLDP switch of the PXE port, from the inventory answer (GET /v1/nodes/{id}/inventory)', () => {
  // IPA's interfaces; raw TLVs are [type, hex of the value]: chassis ID (1: subtype 4 + MAC), port ID (2), system name (5).
  const pxe = {
    name: 'eno1',
    mac_address: '52:54:00:12:34:56',
    has_carrier: true,
    lldp: [
      [1, `04${'b8599f0a0b0c'}`],
      [2, `05${hex('Ethernet1/12')}`],
      [5, hex('tor-r12.dc1')],
    ],
  };
  const other = { name: 'eno2', mac_address: '52:54:00:ab:cd:ef', has_carrier: true, lldp: [[5, hex('tor-mgmt')]] };
  const inventory = (boot: unknown, interfaces: unknown[] = [other, pxe]) => ({ inventory: { interfaces, boot, cpu: { count: 8 } }, plugin_data: {} });

  it.each([
    ['the system name of the PXE interface (boot.pxe_interface is its MAC)', inventory({ pxe_interface: '52:54:00:12:34:56' }), 'tor-r12.dc1'],
    [
      'pxelinux form of the MAC, upper case',
      inventory({ pxe_interface: '01-52-54-00-12-34-56' }, [other, { ...pxe, mac_address: '52:54:00:12:34:56'.toUpperCase() }]),
      'tor-r12.dc1',
    ],
    ['no system name: the chassis MAC', inventory({ pxe_interface: '52:54:00:12:34:56' }, [{ ...pxe, lldp: pxe.lldp.slice(0, 2) }]), 'b8:59:9f:0a:0b:0c'],
    [
      'a locally assigned chassis ID (subtype 7) is text',
      inventory({ pxe_interface: '52:54:00:12:34:56' }, [{ ...pxe, lldp: [[1, `07${hex('rack12-leaf')}`]] }]),
      'rack12-leaf',
    ],
    ['no LLDP on the PXE interface', inventory({ pxe_interface: '52:54:00:12:34:56' }, [other, { ...pxe, lldp: null }]), undefined],
    ['no boot interface and nothing marks one', inventory(undefined), undefined],
    ['garbage', { inventory: 'nope' }, undefined],
  ])('%s', (_, answer, expected) => {
    expect(switchOfInventory(answer)).toBe(expected);
  });

  it("plugin_data.parsed_lldp (Ironic's or ironic-inspector's LLDP processing) wins, and all_interfaces names the PXE one without boot", () => {
    const answer = {
      inventory: { interfaces: [other, { ...pxe, lldp: null }] },
      plugin_data: {
        all_interfaces: { eno1: { ip: '10.0.0.5', mac: pxe.mac_address, pxe_enabled: true }, eno2: { pxe_enabled: false } },
        parsed_lldp: { eno1: { switch_chassis_id: 'b8:59:9f:0a:0b:0c', switch_port_id: 'Ethernet1/12', switch_system_name: 'leaf-7' } },
      },
    };
    expect(switchOfInventory(answer)).toBe('leaf-7');
    const chassisOnly = { ...answer, plugin_data: { ...answer.plugin_data, parsed_lldp: { eno1: { switch_chassis_id: 'b8:59:9f:0a:0b:0c' } } } };
    expect(switchOfInventory(chassisOnly)).toBe('b8:59:9f:0a:0b:0c');
  });

  it('plugin_data.lldp_raw (raw TLVs kept by the inspection) serves when the interface has none', () => {
    const answer = {
      inventory: { interfaces: [{ ...pxe, lldp: null }], boot: { pxe_interface: pxe.mac_address } },
      plugin_data: { lldp_raw: { eno1: [[5, hex('spine-1')]] } },
    };
    expect(switchOfInventory(answer)).toBe('spine-1');
  });

  it('ignores TLVs that are not hex and chassis IDs too short to hold anything', () => {
    expect(
      switchOfTlvs([
        [5, 'not hex!'],
        [1, '04'],
      ]),
    ).toBeUndefined();
  });

  it('asks at API 1.81; a node never inspected (404) or an older Ironic (406) has no switch; other errors are errors', async () => {
    const { client, pool } = make();
    const path = `/v1/nodes/${NODE}/inventory`;
    expectCall(pool, { method: 'GET', path, microversion: '1.81' }).reply(200, inventory({ pxe_interface: pxe.mac_address }));
    expectCall(pool, { method: 'GET', path, microversion: '1.81' }).reply(404, ironicError('Node inventory record for node 3 could not be found.'));
    expectCall(pool, { method: 'GET', path, microversion: '1.81' }).reply(
      406,
      ironicError('Version 1.81 was requested but the minor version is not supported'),
    );
    expectCall(pool, { method: 'GET', path, microversion: '1.81' }).reply(400, ironicError('Bad request'));
    const signal = new AbortController().signal;
    expect(await lldpSwitch({ client }, NODE, signal)).toBe('tor-r12.dc1');
    expect(await lldpSwitch({ client }, NODE, signal)).toBeUndefined();
    expect(await lldpSwitch({ client }, NODE, signal)).toBeUndefined();
    await expect(lldpSwitch({ client }, NODE, signal)).rejects.toThrow(/Reading the inspection inventory of node .*: Ironic answered 400: Bad request/);
  });
});

describe('spreadOrder and countInstances', () => {
  const n = (uuid: string) => ({ uuid });
  it('the domain with the fewest instances first, ties at random, each keeping its order; no domain last', () => {
    const domainOf = new Map([
      ['a1', 'A'],
      ['b1', 'B'],
      ['a2', 'A'],
      ['c1', 'C'],
      ['d1', 'D'],
    ]);
    const instances = new Map([
      ['A', 2],
      ['B', 1],
      ['D', 1],
    ]);
    const candidates = ['a1', 'x1', 'b1', 'a2', 'c1', 'd1'].map(n);
    const ties = [0.9, 0.1, 0.5, 0.3];
    const result = spreadOrder(candidates, domainOf, instances, () => ties.shift()!);
    // Ties drawn per domain as first seen (A, B, C, D): B's 0.1 before D's 0.3.
    expect(result.order.map((group) => group.map((c) => c.uuid))).toEqual([['c1'], ['b1'], ['d1'], ['a1', 'a2'], ['x1']]);
    expect(result.domains).toEqual([
      { domain: 'C', instances: 0, candidates: 1 },
      { domain: 'B', instances: 1, candidates: 1 },
      { domain: 'D', instances: 1, candidates: 1 },
      { domain: 'A', instances: 2, candidates: 2 },
    ]);
    expect(result.unnamed).toBe(1);
  });

  it("counts the group's VM records by the domain the node names now, else the one recorded at deploy", () => {
    const vm = (group: string, domain?: string) => ({ bosh_vm: { cid: 'c', agent_id: 'a', enrolled: false, group, ...(domain ? { domain } : {}) } });
    const nodes = [
      { properties: { rack: 'r1' }, extra: vm('web') },
      { properties: { rack: 'r1' }, extra: vm('web', 'stale') },
      { properties: {}, extra: vm('web', 'sw-9') },
      { properties: { rack: 'r2' }, extra: vm('db') },
      { properties: { rack: 'r2' }, extra: {} },
      { properties: {}, extra: vm('web') },
    ];
    expect(countInstances(nodes, 'web', { property: 'rack' })).toEqual(
      new Map([
        ['r1', 2],
        ['sw-9', 1],
      ]),
    );
  });
});

describe('claimNode with failure_domain', () => {
  const BASE = 'uuid,name,provision_state,power_state,maintenance,fault,instance_uuid,resource_class,conductor_group,properties,traits,extra';
  const CID = '0b7a4c1e-1111-5111-8111-000000000002';
  const free = (uuid: string, rack: string): SelectableNode => ({
    uuid,
    name: uuid,
    provision_state: 'available',
    power_state: 'power off',
    maintenance: false,
    fault: null,
    instance_uuid: null,
    resource_class: 'bm',
    conductor_group: 'east',
    properties: { rack },
    traits: [],
    extra: {},
  });
  const running = (uuid: string, rack: string, group: string) => ({ uuid, properties: { rack }, traits: [], extra: { bosh_vm: { cid: uuid, group } } });
  const request = {
    cid: CID,
    agentId: 'a-1',
    group: 'd-cf-web',
    requirements: requirementsOf({ resource_class: 'bm', conductor_group: 'east' }),
    signal: new AbortController().signal,
  };
  const listings = (harness: Harness, free: SelectableNode[], claimed?: unknown[]) => {
    serverAt(harness, '1.60');
    expectCall(harness.pool, {
      method: 'GET',
      path: '/v1/nodes',
      query: {
        provision_state: 'available',
        associated: 'false',
        maintenance: 'false',
        resource_class: 'bm',
        conductor_group: 'east',
        fields: BASE,
        limit: '1000',
      },
    }).reply(200, { nodes: free, next: null });
    if (claimed === undefined) return;
    expectCall(harness.pool, {
      method: 'GET',
      path: '/v1/nodes',
      query: { associated: 'true', conductor_group: 'east', fields: 'uuid,properties,traits,extra', limit: '1000' },
    }).reply(200, { nodes: claimed, next: null });
  };
  const claim = (harness: Harness, uuid: string) =>
    expectCall(harness.pool, { method: 'PATCH', path: `/v1/nodes/${uuid}`, body: [{ op: 'add', path: '/instance_uuid', value: CID }] });

  it('takes a node in the rack with the fewest instances of the group (one listing counts them), and logs the counts', async () => {
    const harness = make();
    const logs = captureLogger();
    listings(
      harness,
      [free('r1-a', 'r1'), free('r2-a', 'r2'), free('r3-a', 'r3'), free('r1-b', 'r1')],
      [running('w1', 'r1', 'd-cf-web'), running('w2', 'r2', 'd-cf-web'), running('w3', 'r1', 'd-cf-web'), running('o1', 'r3', 'd-cf-db')],
    );
    claim(harness, 'r3-a').reply(200, {});
    const ctx = backendContext(harness.client, { failure_domain: { property: 'rack' } }, logs);
    expect(await claimNode(ctx, request)).toEqual({ uuid: 'r3-a', domain: 'r3' });
    expect(logs.entries.find((l) => l.msg?.startsWith('placing the VM'))?.fields).toEqual({
      vm: CID,
      source: 'node property rack',
      group: 'd-cf-web',
      domains: [
        { domain: 'r3', instances: 0, candidates: 1 },
        { domain: 'r2', instances: 1, candidates: 1 },
        { domain: 'r1', instances: 2, candidates: 2 },
      ],
      unnamed: 0,
    });
  });

  it('moves on to the next domain when the first one is taken meanwhile', async () => {
    const harness = make();
    listings(harness, [free('r1-a', 'r1'), free('r2-a', 'r2')], [running('w1', 'r1', 'd-cf-web')]);
    claim(harness, 'r2-a').reply(409, ironicError(`Node r2-a is associated with instance ${'e'.repeat(8)}-0000-4000-8000-000000000000.`));
    claim(harness, 'r1-a').reply(200, {});
    const ctx = backendContext(harness.client, { failure_domain: { property: 'rack' } });
    expect(await claimNode(ctx, request)).toEqual({ uuid: 'r1-a', domain: 'r1' });
  });

  it(`reads LLDP switches for at most ${LLDP_LOOKUPS} candidates, whatever the pool's size`, async () => {
    const harness = make();
    const nodes = Array.from({ length: 30 }, (_, i) => ({ ...free(`n-${String(i).padStart(2, '0')}`, ''), properties: {} }));
    listings(harness, nodes);
    let inventories = 0;
    harness.pool
      .intercept({ method: 'GET', path: (p: string) => /^\/v1\/nodes\/n-\d\d\/inventory$/.test(p) })
      .reply(() => {
        inventories++;
        return { statusCode: 404, data: ironicError('Node inventory record could not be found.') };
      })
      .times(LLDP_LOOKUPS);
    harness.pool.intercept({ method: 'PATCH', path: (p: string) => p.startsWith('/v1/nodes/n-') }).reply(200, {});
    const ctx = backendContext(harness.client, { failure_domain: { lldp: true } });
    const { group: _, ...noGroup } = request;
    expect((await claimNode(ctx, noGroup)).domain).toBeUndefined();
    expect(inventories).toBe(LLDP_LOOKUPS);
  });
});
