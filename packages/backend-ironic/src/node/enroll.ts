import { CpiError } from '@hybrid-cpi/core';
import type { IronicContext } from '../config.js';
import { isConflict } from '../ironic/errors.js';
import { createNode, deleteNode, patchNode, setProvisionState } from '../ironic/nodes.js';
import { createPort, listPorts } from '../ironic/ports.js';
import { add } from '../ironic/patch.js';
import type { JsonObject } from '../ironic/types.js';
import { waitForProvisionState } from '../ironic/waiters.js';
import { nodeWait } from './waits.js';
import { VM_KEY } from './vm-node.js';

/** `cloud_properties.ironic_params`: how to enroll the server when Ironic does not know it yet. */
export interface EnrollParams {
  readonly driver: string;
  readonly driver_info?: JsonObject;
  readonly properties?: JsonObject;
  readonly resource_class?: string;
  readonly name?: string;
}

export function enrollParamsOf(props: Readonly<Record<string, unknown>>): EnrollParams | undefined {
  const params = props['ironic_params'];
  if (params === undefined) return undefined;
  const p = params as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof params !== 'object' || params === null || Array.isArray(params)) problems.push('must be an object');
  else {
    if (typeof p['driver'] !== 'string') problems.push('needs driver (a string)');
    for (const key of ['driver_info', 'properties'])
      if (p[key] !== undefined && (typeof p[key] !== 'object' || p[key] === null)) problems.push(`${key} must be an object`);
    for (const key of ['resource_class', 'name']) if (p[key] !== undefined && typeof p[key] !== 'string') problems.push(`${key} must be a string`);
    const known = ['driver', 'driver_info', 'properties', 'resource_class', 'name'];
    for (const key of Object.keys(p)) if (!known.includes(key)) problems.push(`${key} is not one of ${known.join(', ')}`);
  }
  if (!Array.isArray(props['macs'])) problems.push("needs the server's MACs in cloud_properties.macs");
  if (problems.length > 0) throw new CpiError('CPX_ARGUMENTS', `Reading cloud_properties.ironic_params of create_vm: ${problems.join('; ')}`);
  return params as EnrollParams;
}

/** Whether Ironic already knows a port with one of these MACs (then the node is chosen, not enrolled). */
export async function knownMac(ctx: IronicContext, macs: readonly string[], signal: AbortSignal): Promise<boolean> {
  for (const address of macs) {
    for await (const page of listPorts(ctx.client, { address, fields: ['uuid'] }, { doing: `Looking up the port with MAC ${address}`, signal }))
      if (page.length > 0) return true;
  }
  return false;
}

/**
 * Enrolls the server for this VM: node, claim, ports, manage, provide. The node carries the VM's
 * CID from its first moment, so no other create_vm can take it, an interrupted try is found and
 * cleaned up by the next, and delete_vm deletes it (it is marked enrolled by the CPI).
 */
export async function enrollNode(
  ctx: IronicContext,
  params: EnrollParams,
  macs: readonly string[],
  ids: { cid: string; agentId: string },
  signal: AbortSignal,
): Promise<string> {
  const doing = `Enrolling a node with MACs ${macs.join(', ')} for VM ${ids.cid}`;
  const node = await createNode(
    ctx.client,
    {
      driver: params.driver,
      ...(params.driver_info === undefined ? {} : { driver_info: params.driver_info }),
      ...(params.properties === undefined ? {} : { properties: params.properties }),
      ...(params.resource_class === undefined ? {} : { resource_class: params.resource_class }),
      ...(params.name === undefined ? {} : { name: params.name }),
      extra: { [VM_KEY]: { cid: ids.cid, agent_id: ids.agentId, enrolled: true } },
    },
    { doing, signal },
  );
  const wait = nodeWait(ctx, 'undeploy', { vm: ids.cid, node: node.uuid }, doing, signal, 'enrolling');
  try {
    await patchNode(ctx.client, node.uuid, [add('/instance_uuid', ids.cid)], { claim: true, doing, signal });
    for (const address of macs) await createPort(ctx.client, { node_uuid: node.uuid, address }, { doing, signal });
    await setProvisionState(ctx.client, node.uuid, { target: 'manage' }, { doing, signal });
    await waitForProvisionState(ctx.client, node.uuid, 'manageable', wait);
    await setProvisionState(ctx.client, node.uuid, { target: 'provide' }, { doing, signal });
    await waitForProvisionState(ctx.client, node.uuid, 'available', wait);
    ctx.logger.info({ vm: ids.cid, node: node.uuid }, 'enrolled node');
    return node.uuid;
  } catch (error) {
    await deleteNode(ctx.client, node.uuid, { doing: `${doing}: removing the half-enrolled node` }).catch((cause: unknown) =>
      ctx.logger.error({ node: node.uuid, err: (cause as Error).message }, 'removing a half-enrolled node failed; delete it by hand'),
    );
    // A port that exists already: another create_vm enrolled the same server at the same time.
    if (isConflict(error))
      throw new CpiError('CPX_VM_CREATION_FAILED', `${doing}: another VM enrolled the same server at the same time`, { cause: error, okToRetry: true });
    throw error;
  }
}
