import { BACKEND_CONTRACT, type BackendModule } from '@hybrid-cpi/core';
import type { MemoryConfig } from './config.js';
import { MemoryBackend } from './backend.js';
import { fileStore, inProcessStore } from './store.js';
// Precompiled at build time (packages/backend-memory/generated).
import { validate as validateConfig } from '../generated/config.cjs';
import { memoryConfigSchema } from './config-schema.js';

export { MemoryBackend } from './backend.js';
export { emptyState, fileStore, inProcessStore, type MemoryState, type MemoryStore } from './store.js';

export type { MemoryConfig } from './config.js';

/** `type: memory`: VMs and disks that are only records, for demos, trials of a config and tests. */
const memoryModule: BackendModule<MemoryConfig> = {
  type: 'memory',
  contract: BACKEND_CONTRACT,
  validateConfig,
  configSchema: memoryConfigSchema,
  pathKeys: ['state_file'],
  stemcellFormats: (config) => config.stemcell_formats,
  create: (config) => new MemoryBackend(config.state_file === undefined ? inProcessStore() : fileStore(config.state_file)),
  operator: async () => (await import('./operator.js')).memoryOperator,
};
export default memoryModule;
