import { BACKEND_CONTRACT, type BackendModule } from '@hybrid-cpi/core';
import type { IronicConfig } from './config.js';
import { validate as validateConfig } from '../generated/config.cjs';
import { ironicConfigSchema } from './config-schema.js';

/** Stemcells an Ironic node can boot: OpenStack images, or a URL Ironic fetches itself. */
export const IRONIC_STEMCELL_FORMATS = ['openstack-qcow2', 'openstack-raw', 'openstack-light'] as const;

export type { IronicConfig } from './config.js';

/** `type: ironic`: bare-metal servers through OpenStack Ironic. */
const ironicModule: BackendModule<IronicConfig> = {
  type: 'ironic',
  contract: BACKEND_CONTRACT,
  validateConfig,
  configSchema: ironicConfigSchema,
  pathKeys: ['ironic.ca_file', 'ironic.cert_file', 'ironic.key_file', 'ironic.auth.file', 'image_store.ca_file', 'image_store.path'],
  stemcellFormats: () => IRONIC_STEMCELL_FORMATS,
  // The HTTP client and the methods load only when a call reaches this backend.
  create: async (config, deps) => (await import('./backend.js')).createIronicBackend(config, deps),
  operator: async () => (await import('./operator/index.js')).ironicOperator,
};
export default ironicModule;
