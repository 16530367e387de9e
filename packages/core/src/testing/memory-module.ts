import { BACKEND_CONTRACT, type BackendConfig, type BackendModule } from '../backend/module.js';
import { MemoryBackend } from './memory-backend.js';
import { fileStore, inProcessStore } from './memory-store.js';
// Precompiled at build time (packages/core/generated/config).
import { validate as validateMemoryConfig } from '../../generated/config/memory.cjs';
import { memoryConfigSchema } from './memory-config-schema.js';

export interface MemoryConfig extends BackendConfig {
  readonly type: 'memory';
  readonly stemcell_formats: readonly string[];
  readonly state_file?: string;
}

/** `type: memory`: VMs and disks that are only records, for demos and tests. */
const memoryModule: BackendModule<MemoryConfig> = {
  type: 'memory',
  contract: BACKEND_CONTRACT,
  validateConfig: validateMemoryConfig,
  configSchema: memoryConfigSchema,
  pathKeys: ['state_file'],
  stemcellFormats: (config) => config.stemcell_formats,
  create: (config) => new MemoryBackend(config.state_file === undefined ? inProcessStore() : fileStore(config.state_file)),
};
export default memoryModule;
