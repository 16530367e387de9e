// Build-time entry: config validators compiled into packages/core/generated/config.
import { coreConfigSchema } from './core-schema.js';

export default {
  core: { validate: coreConfigSchema },
};
