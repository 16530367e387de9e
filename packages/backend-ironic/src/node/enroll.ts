import { CpiError } from '@hybrid-cpi/core';
import type { IronicContext } from '../config.js';
import { isConflict } from '../ironic/errors.js';
import { createNode, deleteNode, patchNode, setProvisionState } from '../ironic/nodes.js';
import { createPort } from '../ironic/ports.js';
import { macOwners } from '../selection/mac-owners.js';
import { inShard } from '../selection/shard.js';
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

/** Whether Ironic (the backend's shard of it) already knows a port with one of these MACs (then the node is chosen, not enrolled). */
export async function knownMac(ctx: IronicContext, macs: readonly string[], signal: AbortSignal): Promise<boolean> {
  return (await macOwners(ctx.client, macs, { shard: ctx.config.shard, signal })).size > 0;
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
      ...inShard(ctx.config),
      extra: { [VM_KEY]: { cid: ids.cid, agent_id: ids.agentId, enrolled: true } },
    },
    { doing, signal },
  );
  const wait = nodeWait(ctx, 'undeploy', { vm: ids.cid, node: node.uuid }, doing, signal, 'enrolling');
  try {
    // A node no one else can take yet (it is in `enroll`): a 409 NodeLocked is Ironic busy with it, repeated.
    await patchNode(ctx.client, node.uuid, [add('/instance_uuid', ids.cid)], { doing, signal });
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
    if (!isConflict(error)) throw error;
    // A port that exists already: another create_vm enrolled the same server at the same time, or,
    // in a shard, Ironic knows the server in another shard (which the MAC look-up did not see).
    const shard = ctx.config.shard;
    if (shard !== undefined && !(await knownMac(ctx, macs, signal).catch(() => true))) {
      throw new CpiError(
        'CPX_VM_CREATION_FAILED',
        `${doing}: Ironic has a port with one of these MACs outside shard ${shard}, the one this backend works in: the server is enrolled in ` +
          `another shard; move its node into shard ${shard} (or delete it), then retry`,
        { cause: error },
      );
    }
    throw new CpiError('CPX_VM_CREATION_FAILED', `${doing}: another VM enrolled the same server at the same time`, { cause: error, okToRetry: true });
  }
}
