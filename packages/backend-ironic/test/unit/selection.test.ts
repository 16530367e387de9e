import { describe, expect, it } from 'vitest';
import { requirementsOf } from '../../src/selection/requirements.js';
import { explainRejections, rejection, type SelectableNode } from '../../src/selection/rejections.js';

const free: SelectableNode = {
  uuid: 'u-1',
  name: 'n1',
  provision_state: 'available',
  power_state: 'power off',
  maintenance: false,
  fault: null,
  instance_uuid: null,
  resource_class: 'bm.large',
  conductor_group: 'rack1',
  properties: { memory_mb: '65536', cpus: 32, local_gb: 900, cpu_arch: 'x86_64' },
  traits: ['CUSTOM_GPU'],
  extra: {},
};

describe('requirementsOf', () => {
  it('reads every selector, with MACs in lower case', () => {
    expect(
      requirementsOf({
        nodes: ['n1'],
        macs: ['52:54:00:AA:BB:01'],
        ironic_properties: { memory_mb: 4096, cpu_arch: 'x86_64' },
        resource_class: 'bm.large',
        traits: ['CUSTOM_GPU'],
        conductor_group: 'rack1',
        backend: 'metal',
      }),
    ).toEqual({
      nodes: ['n1'],
      macs: ['52:54:00:aa:bb:01'],
      minimums: { memory_mb: 4096, cpu_arch: 'x86_64' },
      resourceClass: 'bm.large',
      traits: ['CUSTOM_GPU'],
      conductorGroup: 'rack1',
    });
  });

  it('names every bad selector at once', () => {
    expect(() => requirementsOf({ nodes: 'n1', macs: ['zz'], ironic_properties: { memory_mb: -1, disks: 2 }, resource_class: 3 })).toThrowError(
      'Reading the Ironic cloud_properties of create_vm: ironic_properties.memory_mb must be a non-negative number; ironic_properties.disks is not ' +
        "one of memory_mb, cpus, local_gb, cpu_arch; macs holds 'zz', which is not a MAC address; nodes must be a non-empty list of strings; " +
        'resource_class must be a string',
    );
  });
});

describe('rejection', () => {
  it.each([
    [{}, {}, undefined],
    [{ provision_state: 'active' }, {}, "provision state is 'active', not 'available'"],
    [{ instance_uuid: 'i-1' }, {}, 'already claimed by instance i-1'],
    [{ maintenance: true }, {}, 'in maintenance'],
    [{ fault: 'power failure' }, {}, 'has a fault: power failure'],
    [{ extra: { bosh_disks: { 'disk-1': {} } } }, {}, 'reserved: it holds a persistent disk'],
    [{}, { nodes: ['n2', 'u-9'] }, 'not one of the nodes n2, u-9'],
    [{}, { nodes: ['u-1'] }, undefined],
    [{}, { resource_class: 'bm.small' }, 'resource_class is "bm.large", not \'bm.small\''],
    [{}, { conductor_group: 'rack2' }, "conductor_group is 'rack1', not 'rack2'"],
    [{}, { traits: ['CUSTOM_GPU', 'CUSTOM_RAID'] }, 'lacks the traits CUSTOM_RAID'],
    [{}, { ironic_properties: { memory_mb: 131072 } }, 'memory_mb is "65536", less than 131072'],
    [{}, { ironic_properties: { cpus: 32, local_gb: 900 } }, undefined],
    [{}, { ironic_properties: { cpu_arch: 'aarch64' } }, 'cpu_arch is "x86_64", not \'aarch64\''],
    [{ properties: {} }, { ironic_properties: { cpus: 1 } }, 'cpus is null, less than 1'],
  ])('node %j with %j → %s', (change, props, expected) => {
    expect(rejection({ ...free, ...change }, requirementsOf(props))).toBe(expected);
  });

  it('matches MACs through the port owners', () => {
    const req = requirementsOf({ macs: ['52:54:00:aa:bb:01'] });
    expect(rejection(free, req, new Map([['u-1', ['52:54:00:aa:bb:01']]]))).toBeUndefined();
    expect(rejection(free, req, new Map())).toBe('has no port with one of the MACs 52:54:00:aa:bb:01');
  });

  it('explains every node, up to a limit', () => {
    const nodes = [free, { ...free, uuid: 'u-2', name: null, maintenance: true }, { ...free, uuid: 'u-3' }];
    expect(explainRejections(nodes, requirementsOf({}), undefined, 2)).toBe('n1 (u-1): would match; u-2: in maintenance; … and 1 more nodes');
  });
});
