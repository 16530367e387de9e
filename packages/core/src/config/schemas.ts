// Build-time entry: config validators compiled into packages/core/generated/config.
import { coreConfigSchema } from './core-schema.js';
import { memoryConfigSchema } from '../testing/memory-config-schema.js';

export default {
  core: { validate: coreConfigSchema },
  memory: { validate: memoryConfigSchema },
};
