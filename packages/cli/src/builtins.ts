import type { BuiltinModules } from '@hybrid-cpi/core';

/** Backend types built into the executable, each loaded only when the config uses it. */
export const BUILTIN_BACKENDS: BuiltinModules = {
  ironic: async () => (await import('@hybrid-cpi/backend-ironic')).default,
  delegate: async () => (await import('@hybrid-cpi/backend-delegate')).default,
  memory: async () => (await import('@hybrid-cpi/backend-memory')).default,
};
