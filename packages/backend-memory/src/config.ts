import type { BackendConfig } from '@hybrid-cpi/core';

/** A `type: memory` section as validated (config-schema.ts). */
export interface MemoryConfig extends BackendConfig {
  readonly type: 'memory';
  readonly stemcell_formats: readonly string[];
  readonly state_file?: string;
}
