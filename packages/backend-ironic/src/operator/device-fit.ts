import type { CloudProperties } from '@hybrid-cpi/core';
import { chooseDevice, creatingDisk, deviceHint, excludedDevices, type Device } from '../disks/devices.js';
import { DISKS_KEY, WIPE_KEY } from '../disks/records.js';
import { devicePath, ephemeralDisk, systemDisk } from '../config-drive/agent-settings.js';
import type { PoolNode } from './pool.js';

/**
 * Why create_disk could never put a disk of this disk_type on the node, in create_disk's own
 * words (chooseDevice's), or undefined when a device can take it. Judged as if the node held no
 * disk and had no wipe pending, with the devices a VM gets by default: "ever", not "now".
 */
export function diskMisfit(node: PoolNode, devices: readonly Device[], props: CloudProperties, sizeMb: number): string | undefined {
  const { [DISKS_KEY]: _disks, [WIPE_KEY]: _wipes, ...extra } = node.extra ?? {};
  try {
    chooseDevice(
      devices,
      excludedDevices({ properties: node.properties, extra }),
      deviceHint(props),
      sizeMb,
      `${creatingDisk(sizeMb)} on node ${node.name ?? node.uuid}`,
    );
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * Why a VM of this vm_type would lack a disk on the node: its `system_disk` or `ephemeral_disk`
 * (or their defaults) is none of the node's devices, by name, by-path or WWN path. The agent
 * would not find it; create_vm does not look.
 */
export function agentDiskMisfit(devices: readonly Device[], props: CloudProperties): string | undefined {
  const paths = (d: Device) => [d.name, d.by_path, d.wwn ? `/dev/disk/by-id/wwn-${d.wwn}` : undefined];
  const wanted = [
    ['system_disk', systemDisk(props)],
    ['ephemeral_disk', devicePath(ephemeralDisk(props))],
  ] as const;
  const missing = wanted.filter(([, path]) => path !== null && !devices.some((d) => paths(d).includes(path)));
  if (missing.length === 0) return undefined;
  return `has no ${missing.map(([key, path]) => `${path} (${key})`).join(' and no ')}; its devices: ${devices.map((d) => d.name).join(', ') || 'none'}`;
}
