import { CpiError, isCpiError, type CreatedVm } from '@hybrid-cpi/core';
import { NO_OTHER_NODE, claimNode, type ClaimRequest, type Claimed } from './claim.js';
import type { IronicContext } from '../config.js';
import { DEFAULTS } from '../config.js';
import { isIronicHttpError } from '../ironic/errors.js';
import { getNode } from '../ironic/nodes.js';
import type { Node } from '../ironic/types.js';
import { isIronicWaitError } from '../ironic/waiters.js';
import { clearFailures, keepQuarantined, recordFailure, recordReleased } from './quarantine.js';
import type { FailureEntry, FailureRecord } from '../quarantine/records.js';
import { abortDeploy, giveBackNode } from './give-back.js';
import { deployTimeoutSeconds } from './waits.js';

/** Deploys the VM on a claimed node, waiting until `deadline` (a `ctx.clock` time) at most. */
export type DeployOn = (claimed: Claimed, deadline: number) => Promise<{ readonly vm: CreatedVm; readonly node: Node }>;

type Failure = Pick<FailureEntry, 'step' | 'last_error'>;

/** What create_vm makes of an error that is not a failed deploy: VMCreationFailed, retryable only when another try can do better. */
export function creationFailed(error: unknown, doing: string): CpiError {
  if (isCpiError(error) && error.code === 'CPX_VM_CREATION_FAILED') return error;
  const message = (error as Error)?.message ?? String(error);
  let retry = true;
  if (isIronicHttpError(error)) retry = error.status >= 500 || error.status === 409 || error.status === 503;
  else if (isIronicWaitError(error)) retry = error.reason !== 'aborted';
  else if (isCpiError(error)) retry = error.okToRetry;
  return new CpiError('CPX_VM_CREATION_FAILED', `${doing}: ${message}`, { cause: error, okToRetry: retry });
}

/**
 * create_vm on a node of the pool, rescheduled. When the deploy on the chosen node fails (Ironic
 * ends it in `deploy failed`, refuses it for the node's power or BMC, or it stays in `wait
 * call-back` past its limit), the failure is recorded on the node (which may quarantine it), the
 * node is rolled back, and the next fitting node is claimed: up to `max_deploy_attempts` nodes,
 * within `deploy_timeout_seconds` from the first claim. Any other error ends the call as a single
 * try would. Only when every attempt failed: one VMCreationFailed naming each node and why. A
 * deploy that succeeds first time costs no request more than a single try.
 */
export async function deployRescheduled(ctx: IronicContext, request: Omit<ClaimRequest, 'exclude'>, deployOn: DeployOn): Promise<CreatedVm> {
  const { cid, agentId, signal } = request;
  const log = ctx.logger.child({ vm: cid, agent_id: agentId });
  const maxAttempts = ctx.config.max_deploy_attempts ?? DEFAULTS.maxDeployAttempts;
  const deadline = ctx.clock() + deployTimeoutSeconds(ctx) * 1000;
  const doing = `Creating VM ${cid} for agent ${agentId}`;
  const tried = new Map<string, string>();
  const giveUp = (why: string) =>
    new CpiError(
      'CPX_VM_CREATION_FAILED',
      `${doing}: the deploy failed on ${tried.size === 1 ? 'the only node' : `each of ${tried.size} nodes`} tried, and ${why}: ` +
        `${[...tried.values()].join('; ')}`,
      { okToRetry: true },
    );
  for (;;) {
    let claimed: Claimed;
    try {
      claimed = await claimNode(ctx, { ...request, exclude: new Set(tried.keys()) });
    } catch (error) {
      if (tried.size === 0) throw error;
      const message = (error as Error).message;
      throw giveUp(message.endsWith(NO_OTHER_NODE) ? NO_OTHER_NODE : `claiming another node failed: ${message}`);
    }
    const uuid = claimed.uuid;
    log.info({ node: uuid, attempt: tried.size + 1, domain: claimed.domain }, 'claimed node');
    try {
      const { vm, node } = await deployOn(claimed, deadline);
      await clearFailures(ctx, node, signal).catch((e: unknown) =>
        log.warn({ node: uuid, err: (e as Error).message }, 'clearing the failed deploys recorded on the node failed'),
      );
      return vm;
    } catch (error) {
      const failure = failedDeploy(error, ctx.config.deploy_callback_timeout_seconds ?? DEFAULTS.deployCallbackTimeoutSeconds);
      const after = await rollBack(ctx, uuid, cid, failure);
      if (failure === undefined) {
        const failed = creationFailed(error, `${doing} on node ${uuid}`);
        if (tried.size === 0) throw failed;
        throw new CpiError(failed.code, `${failed.message} (after failed deploys on other nodes: ${[...tried.values()].join('; ')})`, {
          cause: error,
          okToRetry: failed.okToRetry,
        });
      }
      tried.set(uuid, `${after.label}: ${failure.step}: ${failure.last_error}${after.quarantined ? ' (now quarantined)' : ''}`);
      if (after.error !== undefined) throw giveUp(`rolling back node ${after.label} failed (${after.error}; a retry of this create_vm releases it)`);
      if (tried.size >= maxAttempts) throw giveUp(`max_deploy_attempts is ${maxAttempts}`);
      if (ctx.clock() >= deadline) throw giveUp(`deploy_timeout_seconds (${deployTimeoutSeconds(ctx)} s) is spent`);
      if (signal.aborted) throw giveUp('the call was aborted');
      log.warn({ node: uuid, step: failure.step, last_error: failure.last_error, attempt: tried.size }, 'the deploy failed on this node: trying another');
    }
  }
}

/**
 * The failure of the node itself, or undefined for any other error (Ironic unreachable, a bad
 * image, the call aborted, the time budget spent): Ironic ended the deploy in a failure state, it
 * stayed stuck waiting for its agent, or Ironic refused it with a server error (a power or BMC
 * check that failed; 503 is Ironic's back-pressure, already retried by the client).
 */
export function failedDeploy(error: unknown, callbackSeconds: number): Failure | undefined {
  if (isIronicWaitError(error)) {
    if (error.reason === 'failed') return { step: error.observed.at(-2) ?? 'deploying', last_error: error.lastError ?? 'Ironic gave no last_error' };
    if (error.reason === 'stuck')
      return {
        step: error.state ?? 'wait call-back',
        last_error: `no call-back from the deploy agent within deploy_callback_timeout_seconds (${callbackSeconds} s)`,
      };
    return undefined;
  }
  if (isIronicHttpError(error) && error.method === 'PUT' && error.path.endsWith('/states/provision') && error.status >= 500 && error.status !== 503) {
    return { step: 'deploy request', last_error: error.faultstring ?? `Ironic answered ${error.status}` };
  }
  return undefined;
}

/**
 * Gives the node back as it was found, even when the call was aborted, recording a failed deploy
 * first (a record that cannot be written does not stop the give-back). A deploy stuck in `wait
 * call-back` is aborted where Ironic can, else torn down and recorded after. An error means the
 * node may still carry the VM's CID: no other node can be claimed under it.
 */
async function rollBack(
  ctx: IronicContext,
  uuid: string,
  cid: string,
  failure: Failure | undefined,
): Promise<{ label: string; quarantined: boolean; error?: string }> {
  const cleanup = new AbortController().signal;
  const entry = failure === undefined ? undefined : { at: new Date().toISOString(), ...failure, vm: cid };
  const logged = (what: string) => (error: unknown) => {
    ctx.logger.error({ node: uuid, vm: cid, err: (error as Error).message }, what);
    return undefined;
  };
  let label = uuid;
  let record: FailureRecord | undefined;
  let unrecorded: FailureEntry | undefined;
  try {
    let node = await getNode(ctx.client, uuid, { signal: cleanup });
    label = node.name ? `${node.name} (${uuid})` : uuid;
    if (entry !== undefined && node.instance_uuid === cid) {
      if (node.provision_state === 'wait call-back') node = await abortDeploy(ctx, node, `Ending the stuck deploy of VM ${cid} on node ${uuid}`, cleanup);
      // Ironic refuses updates while a deploy waits for its call-back.
      if (node.provision_state === 'wait call-back') unrecorded = entry;
      else {
        const recorded = await recordFailure(ctx, node, entry, cleanup).catch(logged('recording the failed deploy on the node failed'));
        if (recorded !== undefined) ({ node, quarantined: record } = recorded);
      }
    }
    await giveBackNode(ctx, node, cid, cleanup);
  } catch (error) {
    const message = (error as Error).message;
    ctx.logger.error(
      { node: uuid, vm: cid, err: message },
      'rolling back the claim failed; the node still carries the VM CID, a retry of this create_vm or delete_vm releases it',
    );
    return { label, quarantined: record !== undefined, error: message };
  }
  if (unrecorded !== undefined)
    record = await recordReleased(ctx, uuid, unrecorded, cleanup).catch(logged('recording the failed deploy on the released node failed'));
  if (record !== undefined)
    await keepQuarantined(ctx, uuid, record, cleanup).catch(
      logged('keeping the quarantined node out of the pools failed; retire it or put it in maintenance by hand'),
    );
  return { label, quarantined: record !== undefined };
}
