import { CpiError, nativeCid, type NativeCid } from '@hybrid-cpi/core';

/** Where Ironic fetches a stemcell's image, and how it checks it. */
export interface StemcellImage {
  readonly diskFormat: 'qcow2' | 'raw';
  readonly hashAlgo: 'md5' | 'sha256' | 'sha512';
  readonly hash: string;
  readonly url: string;
}

const HASH_LENGTH = { md5: 32, sha256: 64, sha512: 128 } as const;

/**
 * An Ironic stemcell CID carries all `create_vm` needs for `instance_info`, so no lookup is
 * needed: `<disk_format>:<hash algorithm>:<hex digest>:<image URL>`.
 */
export function encodeStemcellCid(image: StemcellImage): NativeCid<'stemcell'> {
  return nativeCid('stemcell', `${image.diskFormat}:${image.hashAlgo}:${image.hash}:${image.url}`);
}

export function decodeStemcellCid(cid: string): StemcellImage {
  const [diskFormat, hashAlgo, hash, ...rest] = cid.split(':');
  const url = rest.join(':');
  const bad = (why: string): never => {
    throw new CpiError(
      'CPX_STEMCELL_NOT_FOUND',
      `Reading Ironic stemcell CID '${cid}': ${why}; expected <qcow2|raw>:<md5|sha256|sha512>:<hex digest>:<http(s) or file URL>`,
    );
  };
  if (diskFormat !== 'qcow2' && diskFormat !== 'raw') return bad(`disk format '${diskFormat}' is not qcow2 or raw`);
  if (hashAlgo !== 'md5' && hashAlgo !== 'sha256' && hashAlgo !== 'sha512') return bad(`hash algorithm '${hashAlgo}' is not md5, sha256 or sha512`);
  if (hash === undefined || !new RegExp(`^[0-9a-f]{${HASH_LENGTH[hashAlgo]}}$`).test(hash))
    return bad(`the ${hashAlgo} digest is not ${HASH_LENGTH[hashAlgo]} hex digits`);
  // file:// serves a `file` image store from the conductors' own disks.
  if (!/^(https?|file):\/\/\S+$/.test(url)) return bad('the image URL is not http(s) or file');
  return { diskFormat, hashAlgo, hash, url };
}

/** `instance_info` image keys for a whole-disk image (Ironic checks the image against them after the download). */
export function imageInstanceInfo(image: StemcellImage): Record<string, string> {
  const checksum: Record<string, string> =
    image.hashAlgo === 'md5' ? { image_checksum: image.hash } : { image_os_hash_algo: image.hashAlgo, image_os_hash_value: image.hash };
  return { image_source: image.url, image_disk_format: image.diskFormat, image_type: 'whole-disk', ...checksum };
}
