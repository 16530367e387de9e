import { BACKEND_CONTRACT, CpiError, type BackendConfig, type BackendModule } from '@hybrid-cpi/core';
import { validate as validateConfig } from '../generated/config.cjs';

/** Stemcells an Ironic node can boot: OpenStack images, or a URL Ironic fetches itself. */
export const IRONIC_STEMCELL_FORMATS = ['openstack-qcow2', 'openstack-raw', 'openstack-light'] as const;

export interface IronicConfig extends BackendConfig {
  readonly type: 'ironic';
  readonly ironic: {
    readonly url: string;
    readonly auth?: { readonly type: 'noauth' | 'http_basic' | 'keystone' | 'clouds_yaml'; readonly [key: string]: unknown };
    readonly ca_file?: string;
    readonly cert_file?: string;
    readonly key_file?: string;
    readonly insecure?: boolean;
  };
  readonly image_store?: { readonly type: 'webdav' | 'file'; readonly [key: string]: unknown };
  readonly ssh_public_keys?: readonly string[];
  readonly nameservers?: readonly string[];
}

/** `type: ironic`: bare-metal servers through OpenStack Ironic. */
const ironicModule: BackendModule<IronicConfig> = {
  type: 'ironic',
  contract: BACKEND_CONTRACT,
  validateConfig,
  stemcellFormats: () => IRONIC_STEMCELL_FORMATS,
  create: (_config, { name }) => {
    throw new CpiError('CPX_NOT_IMPLEMENTED', `Backend '${name}' (type ironic): this build answers info for Ironic backends, but not yet their other CPI methods`);
  },
};
export default ironicModule;
