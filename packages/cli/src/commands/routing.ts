import { BackendRegistry, silentLogger, type BackendName, type HybridConfig } from '@hybrid-cpi/core';
import type { Properties } from './cloud-config.js';

export type Route = { readonly backend: BackendName; readonly type: string; readonly error?: undefined } | { readonly error: string };

/**
 * Where the dispatcher would send create_vm or create_disk (without a VM) with these
 * cloud_properties: the registry's own rule (`cloud_properties.backend`, else the default), so
 * the report cannot drift from what a CPI call does. Creates no backend.
 */
export function makeRouter(config: HybridConfig): (props: Properties, what: string) => Route {
  const registry = new BackendRegistry(config, silentLogger);
  return (props, what) => {
    try {
      const backend = registry.fromCloudProperties(props, what);
      return { backend, type: registry.resolved(backend).config.type };
    } catch (error) {
      return { error: (error as Error).message };
    }
  };
}
