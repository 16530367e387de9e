// Build-time entry: every schema that becomes a standalone validator module under
// packages/core/generated/validators (file name -> export name -> schema).
import { METHOD_NAMES, SIGNATURES } from '../signatures.js';
import envelope from './envelope.js';
import attach_disk from './attach_disk.js';
import calculate_vm_cloud_properties from './calculate_vm_cloud_properties.js';
import configure_networks from './configure_networks.js';
import create_disk from './create_disk.js';
import create_network from './create_network.js';
import create_stemcell from './create_stemcell.js';
import create_vm from './create_vm.js';
import current_vm_id from './current_vm_id.js';
import delete_disk from './delete_disk.js';
import delete_network from './delete_network.js';
import delete_snapshot from './delete_snapshot.js';
import delete_stemcell from './delete_stemcell.js';
import delete_vm from './delete_vm.js';
import detach_disk from './detach_disk.js';
import get_disks from './get_disks.js';
import has_disk from './has_disk.js';
import has_vm from './has_vm.js';
import info from './info.js';
import ping from './ping.js';
import reboot_vm from './reboot_vm.js';
import resize_disk from './resize_disk.js';
import set_disk_metadata from './set_disk_metadata.js';
import set_vm_metadata from './set_vm_metadata.js';
import snapshot_disk from './snapshot_disk.js';
import update_disk from './update_disk.js';
import type { Schema } from './common.js';

const byMethod: Record<string, Record<number, Schema>> = {
  attach_disk,
  calculate_vm_cloud_properties,
  configure_networks,
  create_disk,
  create_network,
  create_stemcell,
  create_vm,
  current_vm_id,
  delete_disk,
  delete_network,
  delete_snapshot,
  delete_stemcell,
  delete_vm,
  detach_disk,
  get_disks,
  has_disk,
  has_vm,
  info,
  ping,
  reboot_vm,
  resize_disk,
  set_disk_metadata,
  set_vm_metadata,
  snapshot_disk,
  update_disk,
};

const files: Record<string, Record<string, Schema>> = { envelope: { validate: envelope } };
for (const method of METHOD_NAMES) {
  const schemas = byMethod[method];
  if (schemas === undefined) throw new Error(`No argument schema for ${method}`);
  const versions = SIGNATURES[method].versions as readonly number[];
  files[method] = Object.fromEntries(
    versions.map((v) => {
      const schema = schemas[v];
      if (schema === undefined) throw new Error(`No v${v} schema for ${method}`);
      return [`v${v}`, schema];
    }),
  );
}
export default files;
