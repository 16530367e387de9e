import { describe, expect, it } from 'vitest';
import { stemcellKind } from '../../../src/stemcell/kind.js';
import { OPENSTACK_QCOW2 } from './helpers.js';

const IMAGE = '/tmp/stemcell-123/image';
const SHA = 'ab'.repeat(32);

describe('stemcellKind', () => {
  it('takes a light stemcell with image_url and a sha256 checksum as it is', () => {
    expect(stemcellKind(IMAGE, { ...OPENSTACK_QCOW2, image_url: 'https://images.test/jammy.qcow2', image_checksum: `sha256:${SHA.toUpperCase()}` })).toEqual({
      kind: 'url',
      image: { diskFormat: 'qcow2', hashAlgo: 'sha256', hash: SHA, url: 'https://images.test/jammy.qcow2' },
    });
  });

  it('reads bare digests by their length, and raw disk formats', () => {
    const url = 'http://10.0.0.5/i.raw';
    expect(stemcellKind(IMAGE, { image_url: url, image_checksum: 'c'.repeat(32), disk_format: 'raw' })).toMatchObject({
      image: { hashAlgo: 'md5', diskFormat: 'raw' },
    });
    expect(stemcellKind(IMAGE, { image_url: url, image_checksum: 'c'.repeat(64) })).toMatchObject({ image: { hashAlgo: 'sha256', diskFormat: 'qcow2' } });
    expect(stemcellKind(IMAGE, { image_url: url, image_checksum: `sha512:${'d'.repeat(128)}` })).toMatchObject({ image: { hashAlgo: 'sha512' } });
  });

  it.each([
    [{ image_url: 'ftp://x/y', image_checksum: SHA }, 'cloud_properties.image_url must be an http(s) URL'],
    [{ image_url: 'http://x/y' }, 'cloud_properties.image_checksum is required with image_url: "sha256:<hex>", "sha512:<hex>" or an md5 hex digest'],
    [
      { image_url: 'http://x/y', image_checksum: 'sha256:abc' },
      `cloud_properties.image_checksum 'sha256:abc' is not "sha256:<64 hex digits>", "sha512:<128 hex digits>" or an md5 hex digest`,
    ],
    [
      { image_url: 'http://x/y', image_checksum: `sha1:${'a'.repeat(40)}` },
      `cloud_properties.image_checksum 'sha1:${'a'.repeat(40)}' is not "sha256:<64 hex digits>", "sha512:<128 hex digits>" or an md5 hex digest`,
    ],
    [{ image_url: 'http://x/y', image_checksum: SHA, disk_format: 'vmdk' }, `cloud_properties.disk_format 'vmdk' is not qcow2 or raw`],
  ])('refuses a bad light stemcell %j', (props, why) => {
    expect(() => stemcellKind(IMAGE, props)).toThrowError(
      expect.objectContaining({ code: 'CPX_ARGUMENTS', message: `Creating an Ironic stemcell from ${IMAGE}: ${why}` }),
    );
  });

  it('explains that an OpenStack light stemcell (Glance image_id) cannot work here, and what to do instead', () => {
    const props = { ...OPENSTACK_QCOW2, name: 'bosh-openstack-kvm-ubuntu-jammy-go_agent', image_id: '5bd3d1f9-7e0e-4b45-9d1c-3c0e0c6c31d4' };
    expect(() => stemcellKind(IMAGE, props)).toThrowError(
      expect.objectContaining({
        code: 'CPX_ARGUMENTS',
        message: expect.stringMatching(
          new RegExp(
            `^Creating an Ironic stemcell from ${IMAGE}: this is an OpenStack light stemcell naming Glance image ` +
              `'5bd3d1f9-7e0e-4b45-9d1c-3c0e0c6c31d4', but Ironic here has no Glance: it fetches images by URL\\. Upload the heavy OpenStack stemcell ` +
              `.* or give the light stemcell cloud_properties image_url .* and image_checksum .*bosh repack-stemcell`,
          ),
        ),
      }),
    );
  });

  it('takes heavy OpenStack qcow2 and raw stemcells', () => {
    expect(stemcellKind(IMAGE, OPENSTACK_QCOW2)).toEqual({ kind: 'heavy', diskFormat: 'qcow2' });
    expect(stemcellKind(IMAGE, { ...OPENSTACK_QCOW2, disk_format: 'raw' })).toEqual({ kind: 'heavy', diskFormat: 'raw' });
  });

  it('refuses stemcells of other infrastructures and formats', () => {
    expect(() => stemcellKind(IMAGE, { infrastructure: 'vsphere', disk_format: 'ovf' })).toThrowError(
      /: this is a vsphere stemcell; Ironic boots OpenStack stemcells\. Upload the heavy/,
    );
    expect(() => stemcellKind(IMAGE, { infrastructure: 'aws' })).toThrowError(/: this is an aws stemcell;/);
    expect(() => stemcellKind(IMAGE, {})).toThrowError(/: the stemcell names no infrastructure;/);
    expect(() => stemcellKind(IMAGE, { ...OPENSTACK_QCOW2, disk_format: 'vhd' })).toThrowError(
      `Creating an Ironic stemcell from ${IMAGE}: the OpenStack stemcell's disk_format 'vhd' is not qcow2 or raw`,
    );
  });
});
