import { BACKEND_CONTRACT, type BackendModule } from '@hybrid-cpi/core';
import type { DelegateConfig } from './config.js';
import { validate as validateConfig } from '../generated/config.cjs';
import { delegateConfigSchema } from './config-schema.js';

export type { DelegateConfig } from './config.js';

/** `type: delegate`: VMs through another CPI executable (vSphere, OpenStack, ...). */
const delegateModule: BackendModule<DelegateConfig> = {
  type: 'delegate',
  contract: BACKEND_CONTRACT,
  validateConfig,
  configSchema: delegateConfigSchema,
  stemcellFormats: (config) => config.stemcell_formats,
  // execa and the request handling load only when a call reaches this backend, never for info.
  create: async (config, deps) => (await import('./backend.js')).createDelegateBackend(config, deps),
  operator: async () => (await import('./operator.js')).delegateOperator,
};
export default delegateModule;
