import { BACKEND_CONTRACT, CpiError, type BackendConfig, type BackendModule } from '@hybrid-cpi/core';
import { validate as validateConfig } from '../generated/config.cjs';

export interface DelegateConfig extends BackendConfig {
  readonly type: 'delegate';
  readonly command: readonly string[];
  readonly api_version?: 1 | 2 | 3;
  readonly stemcell_formats: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly timeout_seconds?: number;
  readonly context?: Readonly<Record<string, unknown>>;
}

/** `type: delegate`: VMs through another CPI executable (vSphere, OpenStack, ...). */
const delegateModule: BackendModule<DelegateConfig> = {
  type: 'delegate',
  contract: BACKEND_CONTRACT,
  validateConfig,
  stemcellFormats: (config) => config.stemcell_formats,
  create: (_config, { name }) => {
    throw new CpiError('CPX_NOT_IMPLEMENTED', `Backend '${name}' (type delegate): this build answers info for delegate backends, but does not yet run the delegate CPI`);
  },
};
export default delegateModule;
