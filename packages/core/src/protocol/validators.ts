import type { ConfigValidator } from '../backend/module.js';
import type { MethodName } from './signatures.js';

type VersionedValidators = Readonly<Partial<Record<'v1' | 'v2' | 'v3', ConfigValidator>>>;

/**
 * One precompiled validator module per method, loaded only for the method of this request.
 * The literal paths let the bundler keep each one lazy.
 */
const LOADERS: Record<MethodName, () => Promise<VersionedValidators>> = {
  info: () => import('../../generated/validators/info.cjs'),
  create_stemcell: () => import('../../generated/validators/create_stemcell.cjs'),
  delete_stemcell: () => import('../../generated/validators/delete_stemcell.cjs'),
  create_vm: () => import('../../generated/validators/create_vm.cjs'),
  delete_vm: () => import('../../generated/validators/delete_vm.cjs'),
  has_vm: () => import('../../generated/validators/has_vm.cjs'),
  reboot_vm: () => import('../../generated/validators/reboot_vm.cjs'),
  set_vm_metadata: () => import('../../generated/validators/set_vm_metadata.cjs'),
  calculate_vm_cloud_properties: () => import('../../generated/validators/calculate_vm_cloud_properties.cjs'),
  configure_networks: () => import('../../generated/validators/configure_networks.cjs'),
  create_disk: () => import('../../generated/validators/create_disk.cjs'),
  delete_disk: () => import('../../generated/validators/delete_disk.cjs'),
  resize_disk: () => import('../../generated/validators/resize_disk.cjs'),
  update_disk: () => import('../../generated/validators/update_disk.cjs'),
  has_disk: () => import('../../generated/validators/has_disk.cjs'),
  attach_disk: () => import('../../generated/validators/attach_disk.cjs'),
  detach_disk: () => import('../../generated/validators/detach_disk.cjs'),
  get_disks: () => import('../../generated/validators/get_disks.cjs'),
  set_disk_metadata: () => import('../../generated/validators/set_disk_metadata.cjs'),
  snapshot_disk: () => import('../../generated/validators/snapshot_disk.cjs'),
  delete_snapshot: () => import('../../generated/validators/delete_snapshot.cjs'),
  create_network: () => import('../../generated/validators/create_network.cjs'),
  delete_network: () => import('../../generated/validators/delete_network.cjs'),
  current_vm_id: () => import('../../generated/validators/current_vm_id.cjs'),
  ping: () => import('../../generated/validators/ping.cjs'),
};

export async function argumentsValidator(method: MethodName, version: 1 | 2 | 3): Promise<ConfigValidator | undefined> {
  return (await LOADERS[method]())[`v${version}`];
}

export async function envelopeValidator(): Promise<ConfigValidator> {
  return (await import('../../generated/validators/envelope.cjs')).validate;
}
