import { DEFAULTS, type IronicContext } from '../config.js';
import { isConflict } from '../ironic/errors.js';
import { RETIRED } from '../ironic/microversions.js';
import { getNode, patchNode, setMaintenance, setProvisionState } from '../ironic/nodes.js';
import { add, remove, replace } from '../ironic/patch.js';
import type { Node } from '../ironic/types.js';
import { waitForProvisionState } from '../ironic/waiters.js';
import { nodeWait } from './waits.js';
import { FAILURES_KEY, failuresOf, quarantineReason, withFailure, type FailureEntry, type FailureRecord } from '../quarantine/records.js';

/** A recorded failure: the node as patched, and its record when it is now quarantined. */
export interface Recorded {
  readonly node: Node;
  readonly quarantined: FailureRecord | undefined;
}

/**
 * Records a failed deploy on the node while the CPI still holds its claim, so no other client
 * writes the record at the same time. Once `quarantine_after` deploys in a row have failed, the
 * same request retires the node with the reason (API 1.61; an `available` node is moved to
 * `manageable` first, as Ironic retires no node there): the teardown that follows then ends in
 * `manageable`, out of every pool, for every Ironic client. An older Ironic has no retirement:
 * {@link keepQuarantined} puts the node in maintenance once it is released. Ironic refuses any
 * update while a deploy waits for its call-back: see {@link recordReleased}.
 */
export async function recordFailure(ctx: IronicContext, node: Node, entry: FailureEntry, signal: AbortSignal): Promise<Recorded> {
  const record = withFailure(failuresOf(node), entry);
  const limit = ctx.config.quarantine_after ?? DEFAULTS.quarantineAfter;
  const quarantined = limit > 0 && record.count >= limit ? { ...record, quarantined_at: entry.at } : undefined;
  const retire = quarantined !== undefined && (await ctx.client.supports(RETIRED, { signal }));
  const doing = `Recording the failed deploy of VM ${entry.vm} on node ${node.uuid}`;
  if (retire && node.provision_state === 'available') await manage(ctx, node.uuid, doing, signal);
  const ops = [add(['extra', FAILURES_KEY], quarantined ?? record)];
  if (retire) ops.push(replace('/retired', true), replace('/retired_reason', quarantineReason(quarantined)));
  const patched = await patchNode(ctx.client, node.uuid, ops, { doing, signal, ...(retire ? { microversion: RETIRED } : {}) });
  const fields = { node: node.uuid, vm: entry.vm, failures: record.count, step: entry.step, last_error: entry.last_error };
  if (quarantined === undefined) ctx.logger.warn(fields, 'recorded a failed deploy on the node');
  else ctx.logger.warn({ ...fields, how: retire ? 'retired' : 'maintenance' }, 'quarantined the node: it leaves every pool until an operator returns it');
  return { node: patched, quarantined };
}

/**
 * Records the failure of a node that had to be released first (a deploy stuck in `wait call-back`
 * on an Ironic that cannot abort it is torn down, and the teardown drops the claim): the node is
 * claimed again together with the record, as atomically as any claim, and given back after. Lost
 * to another claimant in between, the failure goes unrecorded. Returns the record when the node
 * is quarantined now.
 */
export async function recordReleased(ctx: IronicContext, uuid: string, entry: FailureEntry, signal: AbortSignal): Promise<FailureRecord | undefined> {
  const doing = `Recording the failed deploy of VM ${entry.vm} on node ${uuid}`;
  let node: Node;
  try {
    node = await patchNode(ctx.client, uuid, [add('/instance_uuid', entry.vm)], { claim: true, doing, signal });
  } catch (error) {
    if (!isConflict(error)) throw error;
    ctx.logger.warn({ node: uuid, vm: entry.vm }, 'another claimant took the node before its failed deploy was recorded');
    return undefined;
  }
  try {
    return (await recordFailure(ctx, node, entry, signal)).quarantined;
  } finally {
    await patchNode(ctx.client, uuid, [remove('/instance_uuid')], { doing, signal });
  }
}

/**
 * Keeps a released, quarantined node out of the pools. A retired node ends in `manageable` when
 * cleaning ran; without cleaning Ironic makes it `available` again, so it is moved to
 * `manageable`. Without retirement (API < 1.61) it goes into maintenance, with the reason; it was
 * free between its release and this call.
 */
export async function keepQuarantined(ctx: IronicContext, uuid: string, record: FailureRecord, signal: AbortSignal): Promise<void> {
  const doing = `Keeping quarantined node ${uuid} out of the pools`;
  if (!(await ctx.client.supports(RETIRED, { signal }))) {
    await setMaintenance(ctx.client, uuid, quarantineReason(record), { doing, signal });
    return;
  }
  const node = await getNode(ctx.client, uuid, { doing, signal });
  if (node.provision_state === 'available') await manage(ctx, uuid, doing, signal);
}

async function manage(ctx: IronicContext, uuid: string, doing: string, signal: AbortSignal): Promise<void> {
  await setProvisionState(ctx.client, uuid, { target: 'manage' }, { doing, signal });
  await waitForProvisionState(ctx.client, uuid, 'manageable', nodeWait(ctx, 'undeploy', { node: uuid }, doing, signal, 'waiting for the node'));
}

/** A good deploy forgets the node's failed ones; a request only when it had some. */
export async function clearFailures(ctx: IronicContext, node: Node, signal: AbortSignal): Promise<void> {
  if (node.extra?.[FAILURES_KEY] === undefined) return;
  await patchNode(ctx.client, node.uuid, [remove(['extra', FAILURES_KEY])], { doing: `Clearing the failed deploys recorded on node ${node.uuid}`, signal });
}
