import { CpiError } from '@hybrid-cpi/core';
import type { IronicConfig } from '../config.js';
import { makeFileStore, type FileStoreConfig } from './file.js';
import type { ImageStore } from './store.js';
import { makeWebDavStore, type WebDavStoreConfig, type WebDavStoreDeps } from './webdav.js';

export type { ImageStore } from './store.js';
export type ImageStoreConfig = WebDavStoreConfig | FileStoreConfig;

export type ImageStoreDeps = Pick<WebDavStoreDeps, 'dispatcher'>;

/**
 * The image store of one backend, from its (schema-validated) `image_store` section. `backend`
 * names the backend in messages.
 */
export function makeImageStore(config: NonNullable<IronicConfig['image_store']>, backend: string, deps: ImageStoreDeps = {}): ImageStore {
  const doing = `Configuring the image store of backend '${backend}'`;
  const url = config['url'];
  // The stemcell CID, and Ironic's image_source, take http(s) URLs (stemcell/cid.ts).
  if (typeof url !== 'string' || !/^https?:\/\/[^/\s]+/.test(url)) {
    throw new CpiError('CPX_CONFIG', `${doing}: image_store.url must be an http(s) URL Ironic can fetch images from`);
  }
  const store = config as unknown as ImageStoreConfig;
  if (store.type === 'file') return makeFileStore(store);
  return makeWebDavStore(store, { ...deps, doing });
}
