import { CpiError, type CloudProperties } from '@hybrid-cpi/core';
import type { StemcellImage } from './cid.js';

/** What create_stemcell has to do with a stemcell, from its cloud_properties. */
export type StemcellKind =
  /** A light stemcell naming an image Ironic fetches itself: nothing to upload. */
  | { readonly kind: 'url'; readonly image: StemcellImage }
  /** An OpenStack heavy stemcell: `image` is a gzipped tar holding `root.img`. */
  | { readonly kind: 'heavy'; readonly diskFormat: 'qcow2' | 'raw' };

const DIGEST_ALGOS = { 32: 'md5', 64: 'sha256', 128: 'sha512' } as const;

const LIGHT_HINT =
  'Upload the heavy OpenStack stemcell (openstack-qcow2 or openstack-raw; this backend stores its root.img in its image_store), ' +
  'or give the light stemcell cloud_properties image_url (an http(s) URL of the qcow2 or raw image) and image_checksum ("sha256:<hex>"), ' +
  `e.g. bosh repack-stemcell --empty-image --format openstack-light --cloud-properties '{"image_url": "https://…/root.img", "image_checksum": ` +
  `"sha256:…", "disk_format": "qcow2"}'`;

/** Reads what kind of stemcell this is; a stemcell this backend cannot boot is a `CPX_ARGUMENTS` error. */
export function stemcellKind(imagePath: string, props: CloudProperties): StemcellKind {
  const doing = `Creating an Ironic stemcell from ${imagePath}`;
  const bad = (why: string): never => {
    throw new CpiError('CPX_ARGUMENTS', `${doing}: ${why}`);
  };
  const diskFormat = props['disk_format'];
  if (props['image_url'] !== undefined) {
    const url = props['image_url'];
    const checksum = props['image_checksum'];
    if (typeof url !== 'string' || !/^https?:\/\/\S+$/.test(url)) return bad('cloud_properties.image_url must be an http(s) URL');
    if (typeof checksum !== 'string')
      return bad('cloud_properties.image_checksum is required with image_url: "sha256:<hex>", "sha512:<hex>" or an md5 hex digest');
    if (diskFormat !== undefined && diskFormat !== 'qcow2' && diskFormat !== 'raw')
      return bad(`cloud_properties.disk_format '${String(diskFormat)}' is not qcow2 or raw`);
    return { kind: 'url', image: { diskFormat: diskFormat === 'raw' ? 'raw' : 'qcow2', ...parseChecksum(checksum, bad), url } };
  }
  if (props['image_id'] !== undefined) {
    return bad(
      `this is an OpenStack light stemcell naming Glance image '${String(props['image_id'])}', but Ironic here has no Glance: it fetches images by ` +
        `URL. ${LIGHT_HINT}`,
    );
  }
  const infrastructure = props['infrastructure'];
  if (infrastructure !== 'openstack') {
    const what =
      infrastructure === undefined
        ? 'the stemcell names no infrastructure'
        : `this is a${/^[aeiou]/.test(String(infrastructure)) ? 'n' : ''} ${String(infrastructure)} stemcell`;
    return bad(`${what}; Ironic boots OpenStack stemcells. ${LIGHT_HINT}`);
  }
  if (diskFormat !== 'qcow2' && diskFormat !== 'raw') return bad(`the OpenStack stemcell's disk_format '${String(diskFormat)}' is not qcow2 or raw`);
  return { kind: 'heavy', diskFormat };
}

/** `sha256:<hex>`, `sha512:<hex>`, `md5:<hex>`, or a bare hex digest (its length names the algorithm). */
function parseChecksum(checksum: string, bad: (why: string) => never): Pick<StemcellImage, 'hashAlgo' | 'hash'> {
  const [algo, hex] = checksum.includes(':') ? checksum.split(':', 2) : [undefined, checksum];
  const hash = (hex ?? '').toLowerCase();
  const expected = algo ?? DIGEST_ALGOS[hash.length as keyof typeof DIGEST_ALGOS];
  const length = Object.entries(DIGEST_ALGOS).find(([, a]) => a === expected)?.[0];
  if (length === undefined || hash.length !== Number(length) || !/^[0-9a-f]+$/.test(hash)) {
    return bad(`cloud_properties.image_checksum '${checksum}' is not "sha256:<64 hex digits>", "sha512:<128 hex digits>" or an md5 hex digest`);
  }
  return { hashAlgo: expected as StemcellImage['hashAlgo'], hash };
}
