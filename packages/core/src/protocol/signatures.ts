/**
 * Every CPI method the director or `bosh create-env` may send (reference/bosh-cpi.md §2), with
 * its positional argument names and the API versions it exists in. Shared by the build-time schema
 * compiler and the run-time dispatcher, so error messages name the same arguments the docs do.
 */
export const SIGNATURES = {
  info: { args: [], versions: [1, 2, 3] },
  create_stemcell: { args: ['image_path', 'cloud_properties', 'env'], versions: [1, 2, 3] },
  delete_stemcell: { args: ['stemcell_cid'], versions: [1, 2, 3] },
  create_vm: { args: ['agent_id', 'stemcell_cid', 'cloud_properties', 'networks', 'disk_cids', 'env'], versions: [1, 2, 3] },
  delete_vm: { args: ['vm_cid'], versions: [1, 2, 3] },
  has_vm: { args: ['vm_cid'], versions: [1, 2, 3] },
  reboot_vm: { args: ['vm_cid'], versions: [1, 2, 3] },
  set_vm_metadata: { args: ['vm_cid', 'metadata'], versions: [1, 2, 3] },
  calculate_vm_cloud_properties: { args: ['vm_resources'], versions: [1, 2, 3] },
  configure_networks: { args: ['vm_cid', 'networks'], versions: [1, 2, 3] },
  create_disk: { args: ['size', 'cloud_properties', 'vm_cid'], versions: [1, 2, 3] },
  delete_disk: { args: ['disk_cid'], versions: [1, 2, 3] },
  resize_disk: { args: ['disk_cid', 'new_size'], versions: [1, 2, 3] },
  update_disk: { args: ['disk_cid', 'new_size', 'cloud_properties'], versions: [2, 3] },
  has_disk: { args: ['disk_cid'], versions: [1, 2, 3] },
  attach_disk: { args: ['vm_cid', 'disk_cid'], versions: [1, 2, 3] },
  detach_disk: { args: ['vm_cid', 'disk_cid'], versions: [1, 2, 3] },
  get_disks: { args: ['vm_cid'], versions: [1, 2, 3] },
  set_disk_metadata: { args: ['disk_cid', 'metadata'], versions: [1, 2, 3] },
  snapshot_disk: { args: ['disk_cid', 'metadata'], versions: [1, 2, 3] },
  delete_snapshot: { args: ['snapshot_cid'], versions: [1, 2, 3] },
  create_network: { args: ['network_definition'], versions: [1, 2, 3] },
  delete_network: { args: ['network_cid'], versions: [1, 2, 3] },
  current_vm_id: { args: [], versions: [1, 2, 3] },
  ping: { args: [], versions: [1, 2, 3] },
} as const satisfies Record<string, { args: readonly string[]; versions: readonly ApiVersion[] }>;

export type MethodName = keyof typeof SIGNATURES;
export type ApiVersion = 1 | 2 | 3;

/** The contract version `info` reports; see DESIGN.md §2. */
export const REPORTED_API_VERSION = 2;
/** The highest version a request may carry (director v282+ sends 3 when a CPI reports 3). */
export const MAX_API_VERSION: ApiVersion = 3;

export const METHOD_NAMES = Object.keys(SIGNATURES) as MethodName[];

export function isMethodName(name: string): name is MethodName {
  return Object.hasOwn(SIGNATURES, name);
}
