import type { CallContext, VmResources } from '@hybrid-cpi/core';

/** calculate_vm_cloud_properties: `vm_resources` become hardware minimums of the node. */
export async function calculateVmCloudProperties(_call: CallContext, resources: VmResources): Promise<Record<string, unknown>> {
  return { ironic_properties: { cpus: resources.cpu, memory_mb: resources.ram, local_gb: Math.ceil(resources.ephemeral_disk_size / 1024) } };
}
