import type { CloudProperties } from '@hybrid-cpi/core';
import { type AgentConfig, DEFAULTS } from '../config.js';
import type { NetworkSettings } from './networks.js';

export type DiskHint = string | Readonly<Record<string, unknown>> | null;

export interface AgentSettingsInput {
  readonly agentId: string;
  readonly vmCid: string;
  readonly agent: AgentConfig | undefined;
  readonly env: Readonly<Record<string, unknown>>;
  readonly networks: NetworkSettings;
  readonly disks: { readonly system: string; readonly ephemeral: DiskHint; readonly persistent: Readonly<Record<string, DiskHint>> };
}

/**
 * The full agent settings (registry-less, as stemcells with api_version ≥ 2 need them; the
 * agent of today knows no registry). `mbus`, `ntp` and `blobstore` come from the CPI's own
 * config because the director does not send them; `env` goes through verbatim, and its
 * `bosh.mbus`, `bosh.ntp` and `bosh.blobstores` win inside the agent.
 */
export function agentSettings(input: AgentSettingsInput): Record<string, unknown> {
  return {
    agent_id: input.agentId,
    vm: { name: input.vmCid },
    mbus: input.agent?.mbus ?? '',
    ntp: input.agent?.ntp ?? [],
    blobstore: input.agent?.blobstore ?? {},
    disks: { system: input.disks.system, ephemeral: input.disks.ephemeral, persistent: input.disks.persistent },
    networks: input.networks,
    env: input.env,
  };
}

/** The agent's system disk (`system_disk`, default /dev/sda). */
export function systemDisk(props: CloudProperties): string {
  return String(props['system_disk'] ?? DEFAULTS.systemDisk);
}

/** The device a hint names, or null when it names none by path. */
export function devicePath(hint: DiskHint): string | null {
  if (hint === null || typeof hint === 'string') return hint;
  return typeof hint['path'] === 'string' ? hint['path'] : null;
}

/** The second disk unless cloud_properties name another device, or `null` for none. */
export function ephemeralDisk(props: CloudProperties): DiskHint {
  const hint = props['ephemeral_disk'];
  if (hint === undefined) return DEFAULTS.ephemeralDisk;
  return hint as DiskHint;
}
