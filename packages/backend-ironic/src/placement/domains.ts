import type { FailureDomainConfig, IronicContext } from '../config.js';
import { isIronicHttpError } from '../ironic/errors.js';
import { INVENTORY } from '../ironic/microversions.js';

/** What a failure domain is read from: the node's properties and traits (listed anyway). */
export interface DomainNode {
  readonly properties?: Readonly<Record<string, unknown>>;
  readonly traits?: readonly string[] | null;
}

/** "node property rack, trait CUSTOM_RACK_*, LLDP switch": what names the domains, for messages and `explain`. */
export function describeDomains(config: FailureDomainConfig): string {
  const parts: string[] = [];
  if (config.property !== undefined) parts.push(`node property ${config.property}`);
  if (config.trait_prefix !== undefined) parts.push(`trait ${config.trait_prefix}*`);
  if (config.lldp) parts.push('LLDP switch of the PXE port (inspection inventory)');
  return parts.join(', then ');
}

/** The domain a node's property or trait names (the LLDP switch needs a request: {@link lldpSwitch}). */
export function namedDomain(config: FailureDomainConfig, node: DomainNode): string | undefined {
  if (config.property !== undefined) {
    const value = node.properties?.[config.property];
    if ((typeof value === 'string' && value !== '') || typeof value === 'number') return String(value);
  }
  const prefix = config.trait_prefix;
  if (prefix !== undefined) {
    const trait = (node.traits ?? []).filter((t) => t.startsWith(prefix) && t.length > prefix.length).sort()[0];
    if (trait !== undefined) return trait.slice(prefix.length);
  }
  return undefined;
}

/**
 * The switch a node's PXE port is cabled to, from LLDP in its inspection inventory; undefined
 * when the node was never inspected (404), the Ironic is older than 1.81 (406) or the inventory
 * has no LLDP for that port.
 */
export async function lldpSwitch(ctx: Pick<IronicContext, 'client'>, nodeUuid: string, signal: AbortSignal): Promise<string | undefined> {
  try {
    const { body } = await ctx.client.request('GET', `/v1/nodes/${nodeUuid}/inventory`, {
      microversion: INVENTORY,
      doing: `Reading the inspection inventory of node ${nodeUuid} for its LLDP switch`,
      signal,
    });
    return switchOfInventory(body);
  } catch (error) {
    if (isIronicHttpError(error) && (error.status === 404 || error.status === 406)) return undefined;
    throw error;
  }
}

/** IPA's raw LLDP: `[type, hex of the TLV's value]` pairs, as the agent reads them off the wire. */
type RawTlvs = readonly (readonly [number, string])[];

interface Interface {
  readonly name?: string;
  readonly mac_address?: string;
  readonly lldp?: RawTlvs | null;
}

/** What the LLDP processing of an inspection left in `plugin_data.parsed_lldp`, per interface name. */
interface ParsedLldp {
  readonly switch_system_name?: string;
  readonly switch_chassis_id?: string;
}

/**
 * The switch in an inventory answer (`{inventory, plugin_data}`): of the interface the node PXE
 * boots from (`inventory.boot.pxe_interface`, a MAC, or in pxelinux form `01-aa-bb-…`; else the
 * one `plugin_data.all_interfaces` marks `pxe_enabled`), its switch's system name, else the
 * switch's chassis ID. Read from `plugin_data.parsed_lldp` (what Ironic's or ironic-inspector's
 * LLDP processing parsed), else from the interface's raw TLVs (`inventory.interfaces[].lldp`, or
 * `plugin_data.lldp_raw`). Undefined when nothing says.
 */
export function switchOfInventory(answer: unknown): string | undefined {
  const { inventory, plugin_data: plugin } = (answer ?? {}) as { inventory?: Record<string, unknown>; plugin_data?: Record<string, unknown> };
  const interfaces = (Array.isArray(inventory?.['interfaces']) ? inventory['interfaces'] : []) as Interface[];
  const pxe = pxeInterface(inventory, plugin, interfaces);
  if (pxe?.name === undefined) return undefined;
  const parsed = (plugin?.['parsed_lldp'] as Record<string, ParsedLldp> | undefined)?.[pxe.name];
  const named = parsed?.switch_system_name || parsed?.switch_chassis_id;
  if (named) return named;
  const raw = (plugin?.['lldp_raw'] as Record<string, RawTlvs> | undefined)?.[pxe.name] ?? pxe.lldp;
  return Array.isArray(raw) ? switchOfTlvs(raw) : undefined;
}

function pxeInterface(
  inventory: Record<string, unknown> | undefined,
  plugin: Record<string, unknown> | undefined,
  interfaces: readonly Interface[],
): Interface | undefined {
  const boot = (inventory?.['boot'] as { pxe_interface?: unknown } | undefined)?.pxe_interface;
  if (typeof boot === 'string' && boot !== '') {
    const mac = normalMac(/^\d\d-([0-9a-f]{2}-){5}[0-9a-f]{2}$/i.test(boot) ? boot.slice(3).replaceAll('-', ':') : boot);
    return interfaces.find((i) => typeof i.mac_address === 'string' && normalMac(i.mac_address) === mac);
  }
  const all = (plugin?.['all_interfaces'] ?? {}) as Record<string, { pxe_enabled?: boolean }>;
  const name = Object.keys(all).find((n) => all[n]?.pxe_enabled === true);
  return name === undefined ? undefined : (interfaces.find((i) => i.name === name) ?? { name });
}

const normalMac = (mac: string) => mac.toLowerCase();

/** LLDP TLV types (IEEE 802.1AB): the chassis ID and the system name. */
const CHASSIS_ID = 1;
const SYSTEM_NAME = 5;
/** Chassis ID subtype: a MAC address (six bytes); the other subtypes are text. */
const MAC_SUBTYPE = 4;

/** The system name TLV, else the chassis ID TLV (a MAC as `aa:bb:…`, any other subtype as text). */
export function switchOfTlvs(tlvs: RawTlvs): string | undefined {
  const value = (type: number) => {
    const hex = tlvs.find(([t, v]) => t === type && typeof v === 'string' && /^([0-9a-f]{2})+$/i.test(v))?.[1];
    return hex === undefined ? undefined : Buffer.from(hex, 'hex');
  };
  const name = value(SYSTEM_NAME)?.toString('utf8').trim();
  if (name) return name;
  const chassis = value(CHASSIS_ID);
  if (chassis === undefined || chassis.length < 2) return undefined;
  const id = chassis.subarray(1);
  if (chassis[0] === MAC_SUBTYPE && id.length === 6) return [...id].map((b) => b.toString(16).padStart(2, '0')).join(':');
  return id.toString('utf8').trim() || undefined;
}
