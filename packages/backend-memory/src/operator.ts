import { finding, type BackendOperator } from '@hybrid-cpi/core';
import type { MemoryConfig } from './config.js';

/** Its records are local: there is nothing to reach, and `hybrid-cpi doctor` says so. */
export const memoryOperator: BackendOperator<MemoryConfig> = {
  doctor: async (_config, ctx) => ctx.report(finding.ok('memory backend: nothing to reach')),
};
