import { CpiError } from '@hybrid-cpi/core';
import type { Dispatcher } from 'undici';
import type { IronicConfig } from '../config.js';
import { makeFileStore, type FileStoreConfig } from './file.js';
import type { ImageStore } from './store.js';
import { makeWebDavStore, type WebDavStoreConfig } from './webdav.js';

export type { ImageStore } from './store.js';
export type ImageStoreConfig = WebDavStoreConfig | FileStoreConfig;

export interface ImageStoreDeps {
  /** The HTTP dispatcher of a WebDAV store (tests); by default one made from its TLS settings. */
  readonly dispatcher?: Dispatcher;
}

/**
 * The image store of one backend, from its (schema-validated) `image_store` section. `backend`
 * names the backend in messages.
 */
export function makeImageStore(config: NonNullable<IronicConfig['image_store']>, backend: string, deps: ImageStoreDeps = {}): ImageStore {
  const url = config['url'];
  // The stemcell CID, and Ironic's image_source, take http(s) URLs (stemcell/cid.ts).
  if (typeof url !== 'string' || !/^https?:\/\/[^/\s]+/.test(url)) {
    throw new CpiError(
      'CPX_CONFIG',
      `Configuring the image store of backend '${backend}': image_store.url must be an http(s) URL Ironic can fetch images from`,
    );
  }
  const store = config as unknown as ImageStoreConfig;
  if (store.type === 'file') return makeFileStore(store);
  try {
    return makeWebDavStore(store, deps);
  } catch (error) {
    // The TLS helper is shared with the Ironic client and names Ironic in its messages.
    const why = (error as Error).message.replace(/^Configuring TLS for Ironic: /, '');
    throw new CpiError('CPX_CONFIG', `Configuring the image store of backend '${backend}': ${why}`, { cause: error });
  }
}
