import { CpiError, type CloudProperties } from '@hybrid-cpi/core';
import { DEFAULTS, type IronicContext } from '../config.js';
import { isIronicHttpError } from '../ironic/errors.js';
import { INVENTORY } from '../ironic/microversions.js';
import { disksOf, wipesOf } from './records.js';

/** A local block device of a node, in the shape of Ironic's inspection inventory. */
export interface Device {
  readonly name: string;
  /** Bytes. */
  readonly size: number;
  readonly serial?: string | null;
  readonly wwn?: string | null;
  readonly by_path?: string | null;
}

/**
 * The node's local disks: Ironic's inspection inventory (API 1.81) when the node was inspected,
 * else `properties.disks`, where an operator lists them in the same shape.
 */
export async function nodeDevices(
  ctx: Pick<IronicContext, 'client'>,
  node: { readonly uuid: string; readonly name?: string | null; readonly properties?: Readonly<Record<string, unknown>> },
  signal: AbortSignal,
): Promise<Device[]> {
  try {
    const { body } = await ctx.client.request<{ inventory?: { disks?: Device[] } }>('GET', `/v1/nodes/${node.uuid}/inventory`, {
      microversion: INVENTORY,
      doing: `Reading the inventory of node ${node.uuid}`,
      signal,
    });
    const disks = body?.inventory?.disks;
    if (Array.isArray(disks) && disks.length > 0) return disks;
  } catch (error) {
    // 404: never inspected; 406: an Ironic older than 1.81. Both mean: ask the properties.
    if (!isIronicHttpError(error) || (error.status !== 404 && error.status !== 406)) throw error;
  }
  const declared = node.properties?.['disks'];
  if (Array.isArray(declared) && declared.every((d) => typeof d?.name === 'string' && Number.isFinite(Number(d?.size)))) {
    return declared.map((d) => ({ ...d, size: Number(d.size) }));
  }
  throw new CpiError(
    'CPX_BACKEND_FAILURE',
    `Finding the local disks of node ${node.name ?? node.uuid}: Ironic has no inspection inventory for it and its properties.disks does not list them ` +
      `([{name, size (bytes), serial, wwn, by_path}])`,
  );
}

/** `cloud_properties.persistent_disk` of a disk_type: which device to use. */
export type DeviceHint = string | { readonly name?: string; readonly serial?: string; readonly wwn?: string; readonly by_path?: string };

/**
 * The device hint of a disk_type: `persistent_disk`, else `device` (the older Python Ironic CPI's
 * key for the same thing).
 */
export function deviceHint(props: CloudProperties): DeviceHint | undefined {
  const hint = props['persistent_disk'] ?? props['device'];
  if (hint === undefined) return undefined;
  if (typeof hint === 'string' || (typeof hint === 'object' && hint !== null && !Array.isArray(hint))) return hint as DeviceHint;
  throw new CpiError('CPX_ARGUMENTS', 'Reading cloud_properties.persistent_disk of create_disk: a device path, or an object of name, serial, wwn, by_path');
}

/** What create_disk is doing, for its messages (and for the operator commands that judge it). */
export function creatingDisk(sizeMb: number, vmCid?: string): string {
  return `Creating a ${sizeMb} MiB disk${vmCid ? ` for VM ${vmCid}` : ''}`;
}

/**
 * The devices of `node` a new disk may not use, and why: the agent's system and ephemeral
 * devices (those the VM on the node recorded, else the defaults a VM gets), the root device
 * Ironic deploys to, devices that back a disk, and those waiting for a wipe.
 */
export function excludedDevices(
  node: { readonly properties?: Readonly<Record<string, unknown>>; readonly extra?: Readonly<Record<string, unknown>> },
  vm: { readonly system: string; readonly ephemeral: string | null } = { system: DEFAULTS.systemDisk, ephemeral: DEFAULTS.ephemeralDisk },
): Map<string, string> {
  const excluded = new Map<string, string>([[vm.system, 'the root device']]);
  if (vm.ephemeral) excluded.set(vm.ephemeral, 'the ephemeral device');
  const rootHint = node.properties?.['root_device'] as { name?: string } | undefined;
  if (typeof rootHint?.name === 'string') excluded.set(rootHint.name, 'the root device (properties.root_device)');
  for (const disk of Object.values(disksOf(node))) excluded.set(disk.device, TAKEN.disk);
  for (const device of wipesOf(node)) excluded.set(device, TAKEN.wipe);
  return excluded;
}

/** Why a device cannot take a disk for now: a delete_disk, then the wipe, frees it. */
const TAKEN = { disk: 'backs another persistent disk', wipe: 'waits to be wiped' } as const;
const FOR_NOW: ReadonlySet<string | undefined> = new Set(Object.values(TAKEN));

/**
 * The device for a new disk of `sizeMb`: the hinted one, else the smallest free one that fits.
 * Never the root or ephemeral device, one that backs a disk, or one waiting to be wiped.
 */
export function chooseDevice(
  devices: readonly Device[],
  excluded: ReadonlyMap<string, string>,
  hint: DeviceHint | undefined,
  sizeMb: number,
  doing: string,
): Device {
  const fits = (d: Device) => d.size >= sizeMb * 1024 * 1024;
  const matches = (d: Device) =>
    hint === undefined ||
    (typeof hint === 'string'
      ? [d.name, d.by_path, d.wwn, d.serial].includes(hint)
      : Object.entries(hint).every(([k, v]) => (d as unknown as Record<string, unknown>)[k] === v));
  const reasons: string[] = [];
  const usable = [...devices]
    .sort((a, b) => a.size - b.size || a.name.localeCompare(b.name))
    .filter((d) => {
      const why =
        excluded.get(d.name) ??
        (!matches(d) ? 'does not match the persistent_disk hint' : !fits(d) ? `${Math.floor(d.size / 2 ** 20)} MiB is less than ${sizeMb} MiB` : undefined);
      if (why !== undefined) reasons.push(`${d.name}: ${why}`);
      return why === undefined;
    });
  const chosen = usable[0];
  if (chosen === undefined) {
    // No room: a device the hint matches backs a disk, waits for its wipe or is too small. A hint
    // that matches no device, or only the agent's own, is a config problem.
    const noRoom = devices.some((d) => matches(d) && (excluded.has(d.name) ? FOR_NOW.has(excluded.get(d.name)) : !fits(d)));
    throw new CpiError(
      noRoom ? 'CPX_NO_DISK_SPACE' : 'CPX_BACKEND_FAILURE',
      `${doing}: no device can take it (${reasons.join('; ') || 'the node lists no disks'})`,
    );
  }
  return chosen;
}

/** The path the agent gets: stable across kernels when Ironic knows one (device names are not). */
export function agentPath(device: Device): string {
  if (device.wwn) return `/dev/disk/by-id/wwn-${device.wwn}`;
  if (device.by_path) return device.by_path;
  return device.name;
}
