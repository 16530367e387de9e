import { describe, expect, it } from 'vitest';
import { acceptsStemcell } from '@hybrid-cpi/core';

const ironic = ['openstack-qcow2', 'openstack-raw', 'openstack-light'];
const vsphere = ['vsphere-ova', 'vsphere-ovf'];

describe('acceptsStemcell', () => {
  it.each([
    [ironic, { infrastructure: 'openstack', disk_format: 'qcow2' }, true],
    [ironic, { infrastructure: 'openstack', disk_format: 'raw' }, true],
    [['openstack-qcow2'], { infrastructure: 'openstack', disk_format: 'raw' }, false],
    [ironic, { infrastructure: 'openstack', image_id: 'abc' }, true],
    [['openstack-qcow2'], { infrastructure: 'openstack', image_id: 'abc' }, false],
    [ironic, { infrastructure: 'openstack' }, true],
    [['openstack-light'], { infrastructure: 'openstack' }, false],
    [vsphere, { infrastructure: 'vsphere', disk_format: 'ovf' }, true],
    [['vsphere-ova'], { infrastructure: 'vsphere', disk_format: 'ovf' }, true],
    [vsphere, { infrastructure: 'openstack', disk_format: 'qcow2' }, false],
    [ironic, { disk_format: 'qcow2' }, false],
  ])('formats %j with %j → %s', (formats, props, expected) => {
    expect(acceptsStemcell(formats, props)).toBe(expected);
  });
});
