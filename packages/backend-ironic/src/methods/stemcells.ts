import { CpiError, type CallContext, type CreateStemcellRequest, type NativeCid } from '@hybrid-cpi/core';
import { encodeStemcellCid } from '../stemcell-cid.js';

/**
 * create_stemcell for a stemcell whose image Ironic can fetch itself: `image_url` and
 * `image_checksum` (`sha256:<hex>`, `sha512:<hex>` or an md5 hex digest) in its cloud_properties.
 * Uploading heavy stemcells to an image store is not in this build.
 */
export async function createStemcell(_call: CallContext, { cloudProperties: props, imagePath }: CreateStemcellRequest): Promise<NativeCid> {
  const url = props['image_url'];
  const checksum = props['image_checksum'];
  if (typeof url !== 'string' || typeof checksum !== 'string') {
    throw new CpiError('CPX_NOT_IMPLEMENTED', `Creating an Ironic stemcell from ${imagePath}: this build takes only stemcells whose cloud_properties name image_url and image_checksum`);
  }
  const [algo, hash] = checksum.includes(':') ? checksum.split(':', 2) : ['md5', checksum];
  const diskFormat = props['disk_format'] === 'raw' ? 'raw' : 'qcow2';
  return encodeStemcellCid({ diskFormat, hashAlgo: algo as 'md5', hash: hash!.toLowerCase(), url });
}

/** The image belongs to whoever serves `image_url`: nothing to delete. */
export async function deleteStemcell(): Promise<void> {}
