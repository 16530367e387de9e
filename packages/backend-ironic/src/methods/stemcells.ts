import { CpiError, type CallContext, type CreateStemcellRequest, type NativeCid } from '@hybrid-cpi/core';
import type { IronicContext } from '../config.js';
import type { ImageStore } from '../image-store/index.js';
import { decodeStemcellCid, encodeStemcellCid } from '../stemcell/cid.js';
import { stemcellKind } from '../stemcell/kind.js';
import { isImageName } from '../stemcell/object-name.js';

/**
 * create_stemcell. A light stemcell whose cloud_properties give `image_url` and `image_checksum`
 * names an image Ironic fetches itself. A heavy OpenStack stemcell's `root.img` is streamed into
 * the backend's image store, and the CID carries its URL and sha256.
 */
export async function createStemcell(
  ctx: IronicContext,
  call: CallContext,
  { imagePath, cloudProperties }: CreateStemcellRequest,
): Promise<NativeCid<'stemcell'>> {
  const kind = stemcellKind(imagePath, cloudProperties);
  if (kind.kind === 'url') return encodeStemcellCid(kind.image);
  const store = await openStore(ctx, `Creating an Ironic stemcell from ${imagePath}`);
  try {
    // tar-stream loads only on this path (one process per call: start-up is the hot path).
    const { uploadRootImage } = await import('../stemcell/upload.js');
    const image = await uploadRootImage({ imagePath, diskFormat: kind.diskFormat, store, signal: call.signal, logger: ctx.logger });
    return encodeStemcellCid({ diskFormat: kind.diskFormat, hashAlgo: 'sha256', hash: image.sha256, url: image.url });
  } finally {
    await store.close();
  }
}

/**
 * delete_stemcell: removes the image create_stemcell stored. A missing object is success, and a
 * URL outside the configured store (a light stemcell's image_url) is not ours to delete.
 */
export async function deleteStemcell(ctx: IronicContext, call: CallContext, cid: NativeCid<'stemcell'>): Promise<void> {
  const { url } = decodeStemcellCid(cid);
  if (ctx.config.image_store === undefined) {
    ctx.logger.info({ stemcell: cid }, 'no image_store configured: the stemcell image is not ours to delete');
    return;
  }
  const store = await openStore(ctx, `Deleting Ironic stemcell ${cid}`);
  try {
    const name = store.nameOf(url);
    if (name === undefined || !isImageName(name)) {
      ctx.logger.info({ stemcell: cid, image_store: store.location }, 'the stemcell image is not in the image store: nothing to delete');
      return;
    }
    await store.delete(name, call.signal).catch((error: unknown) => {
      throw new CpiError(
        'CPX_BACKEND_FAILURE',
        `Deleting the image of Ironic stemcell ${cid} from image store ${store.location}: ${(error as Error).message}`,
        { cause: error },
      );
    });
    ctx.logger.info({ stemcell: cid, object: url }, 'stemcell image deleted');
  } finally {
    await store.close();
  }
}

async function openStore(ctx: IronicContext, doing: string): Promise<ImageStore> {
  const config = ctx.config.image_store;
  if (config === undefined) {
    throw new CpiError(
      'CPX_CONFIG',
      `${doing}: backend '${ctx.name}' has no image_store to upload the stemcell's root.img to: add backends.${ctx.name}.image_store ` +
        '({type: webdav, url, username, password} or {type: file, path, url}) to the config, or use a light stemcell whose cloud_properties give ' +
        'image_url and image_checksum',
    );
  }
  const { makeImageStore } = await import('../image-store/index.js');
  return makeImageStore(config, ctx.name, ctx.httpDispatcher === undefined ? {} : { dispatcher: ctx.httpDispatcher });
}
