import type { CreateVmRequest } from '@hybrid-cpi/core';
import type { IronicContext } from '../config.js';
import { listPorts } from '../ironic/ports.js';
import type { Node } from '../ironic/types.js';
import { agentSettings, ephemeralDisk, systemDisk } from './agent-settings.js';
import { configDriveFiles } from './files.js';
import { buildIso } from './iso9660.js';
import { assignMacs, type NetworkSettings } from './networks.js';
import { packConfigDrive } from './pack.js';

/** The config drive of a VM: the agent's full settings (registry-less), packed as Ironic takes it. */
export function configDriveFor(ctx: IronicContext, req: CreateVmRequest, cid: string, networks: NetworkSettings): string {
  const settings = agentSettings({
    agentId: req.agentId,
    vmCid: cid,
    agent: ctx.agent,
    env: req.env,
    networks,
    disks: { system: systemDisk(req.cloudProperties), ephemeral: ephemeralDisk(req.cloudProperties), persistent: {} },
  });
  const files = configDriveFiles({
    vmCid: cid,
    hostname: cid,
    settings,
    networks,
    sshPublicKeys: ctx.config.ssh_public_keys ?? [],
    nameservers: ctx.config.nameservers ?? [],
  });
  return packConfigDrive(buildIso(files, { volumeId: 'config-2' }));
}

/**
 * The VM's networks on this node: each matched to the NIC (Ironic port) it is on, and the DNS
 * default network given the config's nameservers when the director sent none.
 */
export async function networksOn(ctx: IronicContext, req: CreateVmRequest, node: Pick<Node, 'uuid' | 'name'>, signal: AbortSignal): Promise<NetworkSettings> {
  const ports = [];
  for await (const page of listPorts(
    ctx.client,
    { node_uuid: node.uuid, fields: ['address', 'physical_network', 'pxe_enabled'] },
    { doing: `Listing the ports of node ${node.uuid}`, signal },
  ))
    ports.push(...page);
  const networks = assignMacs(req.networks, ports, node.name ?? node.uuid);
  const nameservers = ctx.config.nameservers ?? [];
  // The agent takes DNS from the network that is the DNS default; fill it from config if empty.
  for (const n of Object.values(networks)) {
    const isDnsDefault = ((n['default'] as string[] | undefined) ?? []).includes('dns') || Object.keys(networks).length === 1;
    if (isDnsDefault && nameservers.length > 0 && !Array.isArray(n['dns'])) n['dns'] = [...nameservers];
  }
  return networks;
}
