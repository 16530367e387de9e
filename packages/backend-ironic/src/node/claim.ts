import { CpiError } from '@hybrid-cpi/core';
import { createAllocation, deleteAllocation, getAllocation } from '../ironic/allocations.js';
import { isConflict, isNotFound } from '../ironic/errors.js';
import { listNodes, patchNode } from '../ironic/nodes.js';
import { add, type PatchOp } from '../ironic/patch.js';
import { isIronicWaitError, waitForAllocation } from '../ironic/waiters.js';
import type { IronicContext } from '../config.js';
import { macOwners } from '../selection/mac-owners.js';
import { inShard } from '../selection/shard.js';
import type { Requirements } from '../selection/requirements.js';
import { preferenceTiers } from '../selection/preference.js';
import { explainRejections, rejection, selectionListing, type SelectableNode } from '../selection/rejections.js';
import { spreadCandidates } from '../placement/spread.js';

export interface ClaimRequest {
  readonly cid: string;
  readonly agentId: string;
  readonly requirements: Requirements;
  readonly signal: AbortSignal;
  /** Claim by `instance_uuid` even where allocations exist (disk reservations, which outlive any allocation). */
  readonly byInstanceUuid?: boolean;
  /**
   * With `byInstanceUuid`: more of the node to write in the claiming PATCH itself, so the claim
   * and these records land together or not at all (Ironic checks the claim under its node lock).
   */
  readonly withClaim?: (node: SelectableNode) => Promise<readonly PatchOp[]>;
  /** Nodes not to take: a rescheduled create_vm's nodes tried already. */
  readonly exclude?: ReadonlySet<string>;
  /** The VM's instance group: with `failure_domain`, the node comes from the domain holding the fewest of it. */
  readonly group?: string;
}

/** The node claimed, and its failure domain when `failure_domain` names one. */
export interface Claimed {
  readonly uuid: string;
  readonly domain?: string;
}

/** Why a rescheduled create_vm found no node to try next. */
export const NO_OTHER_NODE = "no other free node matches the vm_type's cloud_properties";

/** How long the conductor may take to process an allocation (it tries candidates in turn). */
const ALLOCATION_TIMEOUT_MS = 120_000;

/**
 * Claims one free node for the VM, atomically: no other CPI process can claim it at the same
 * time. With the Allocation API the conductor picks among our candidates and sets the node's
 * `instance_uuid` to the allocation's UUID (our VM CID); without it, a JSON-patch of
 * `instance_uuid` succeeds for exactly one claimant and answers 409 to the others. Candidates
 * are listed in one request (filtered on the server as far as Ironic can) and shuffled, so
 * concurrent create_vm calls spread over the pool; with `failure_domain`, domain by domain,
 * the one holding the fewest instances of the VM's group first (placement/spread.ts); in each,
 * healthy nodes go first, nodes with failed deploys on record next, nodes with hardware health
 * `Warning` last.
 */
export async function claimNode(ctx: IronicContext, request: ClaimRequest): Promise<Claimed> {
  const macs = request.requirements.macs;
  const owners = macs === undefined ? undefined : await macOwners(ctx.client, macs, { shard: ctx.config.shard, signal: request.signal });
  const candidates = shuffle(await candidatesFor(ctx, request, owners));
  if (candidates.length === 0) await explainNoMatch(ctx, request, owners);
  const doing = `Claiming a node for VM ${request.cid} (agent ${request.agentId})`;
  const scope = { group: request.group, conductorGroup: request.requirements.conductorGroup, cid: request.cid };
  const spread = request.byInstanceUuid ? undefined : await spreadCandidates(ctx, candidates, scope, request.signal);
  if (spread !== undefined) ctx.logger.info({ vm: request.cid, ...spread.placement }, 'placing the VM by failure domain: fewest instances of its group first');
  const tiers = (spread?.order ?? [candidates]).flatMap((domain) => preferenceTiers(domain));
  let claimed: string | undefined;
  if (!request.byInstanceUuid && (await ctx.useAllocations(request.signal))) {
    for (const tier of tiers) {
      claimed = await claimWithAllocation(ctx, request, tier, doing);
      if (claimed !== undefined) break;
    }
  } else {
    for (const node of tiers.flat()) {
      try {
        const more = (await request.withClaim?.(node)) ?? [];
        await patchNode(ctx.client, node.uuid, [add('/instance_uuid', request.cid), ...more], {
          claim: true,
          doing: `${doing}: node ${node.uuid}`,
          signal: request.signal,
        });
        claimed = node.uuid;
        break;
      } catch (error) {
        // 409: another process claimed it first (or holds its lock); the next candidate then.
        if (!isConflict(error)) throw error;
        ctx.logger.debug({ node: node.uuid, vm: request.cid }, 'lost the race for a node, trying the next');
      }
    }
  }
  const chosen = candidates.find((n) => n.uuid === claimed);
  if (chosen?.health === 'Warning') {
    ctx.logger.warn({ node: chosen.uuid, vm: request.cid }, 'took a node whose hardware health is Warning: no healthier node that fits was free');
  }
  const domain = claimed === undefined ? undefined : spread?.domainOf.get(claimed);
  if (claimed !== undefined) return domain === undefined ? { uuid: claimed } : { uuid: claimed, domain };
  throw new CpiError(
    'CPX_VM_CREATION_FAILED',
    `${doing}: all ${candidates.length} matching nodes were claimed by other VMs at the same time; a retry may find one free`,
    { okToRetry: true },
  );
}

async function candidatesFor(ctx: IronicContext, request: ClaimRequest, owners: ReadonlyMap<string, readonly string[]> | undefined): Promise<SelectableNode[]> {
  const req = request.requirements;
  const found: SelectableNode[] = [];
  const { fields, microversion } = await selectionListing(ctx.client, [], { signal: request.signal });
  const filters = {
    provision_state: 'available' as const,
    associated: false,
    maintenance: false,
    ...(req.resourceClass === undefined ? {} : { resource_class: req.resourceClass }),
    ...(req.conductorGroup === undefined ? {} : { conductor_group: req.conductorGroup }),
    ...inShard(ctx.config),
    fields,
    limit: 1000,
  };
  for await (const page of listNodes(ctx.client, filters, { doing: `Listing free nodes for VM ${request.cid}`, signal: request.signal, microversion })) {
    found.push(...(page as SelectableNode[]).filter((n) => !request.exclude?.has(n.uuid) && rejection(n, req, owners) === undefined));
    // One page of candidates is plenty to spread concurrent claims over; reading on only when
    // it held none keeps the requests per create_vm the same however large the pool grows.
    if (found.length > 0) break;
  }
  return found;
}

/**
 * One allocation per resource class among the candidates (Ironic requires one). An allocation
 * with our UUID left by an earlier, interrupted try is reused or replaced.
 */
async function claimWithAllocation(
  ctx: IronicContext,
  request: ClaimRequest,
  candidates: readonly SelectableNode[],
  doing: string,
): Promise<string | undefined> {
  const groups = new Map<string, string[]>();
  for (const node of candidates) {
    if (!node.resource_class) continue;
    groups.set(node.resource_class, [...(groups.get(node.resource_class) ?? []), node.uuid]);
  }
  if (groups.size === 0) {
    throw new CpiError(
      'CPX_VM_CREATION_FAILED',
      `${doing}: the matching nodes have no resource_class, which the Allocation API needs; set one, or set claim: instance_uuid`,
    );
  }
  for (const [resourceClass, uuids] of groups) {
    const allocation = await startAllocation(ctx, request, resourceClass, uuids, doing);
    try {
      const wait = { timeoutMs: ALLOCATION_TIMEOUT_MS, signal: request.signal, doing, clock: ctx.clock, sleep: ctx.sleep };
      const done = await waitForAllocation(ctx.client, allocation, wait);
      if (done.node_uuid) return done.node_uuid;
    } catch (error) {
      if (!isIronicWaitError(error) || error.reason !== 'failed') throw error;
      ctx.logger.debug({ vm: request.cid, resource_class: resourceClass, last_error: error.lastError }, 'allocation failed, trying the next resource class');
      await deleteAllocation(ctx.client, allocation, { doing: `${doing}: removing the failed allocation` }).catch(() => undefined);
    }
  }
  return undefined;
}

async function startAllocation(
  ctx: IronicContext,
  request: ClaimRequest,
  resourceClass: string,
  candidates: readonly string[],
  doing: string,
): Promise<string> {
  const body = {
    uuid: request.cid,
    resource_class: resourceClass,
    candidate_nodes: candidates,
    ...(request.requirements.traits === undefined ? {} : { traits: request.requirements.traits }),
    extra: { bosh_agent_id: request.agentId },
  };
  try {
    return (await createAllocation(ctx.client, body, { doing, signal: request.signal })).uuid;
  } catch (error) {
    if (!isConflict(error)) throw error;
    // An allocation with our UUID exists: an earlier try of this create_vm. Keep it while it
    // works; replace it when it failed.
    const earlier = await getAllocation(ctx.client, request.cid, { doing, signal: request.signal }).catch((e: unknown) =>
      isNotFound(e) ? undefined : Promise.reject(e),
    );
    if (earlier !== undefined && earlier.state !== 'error') return earlier.uuid;
    if (earlier !== undefined) await deleteAllocation(ctx.client, earlier.uuid, { doing });
    return (await createAllocation(ctx.client, body, { doing, signal: request.signal })).uuid;
  }
}

/**
 * Nothing matched: say why each node was rejected, from a second, unfiltered listing; after
 * failed deploys, only that no other node fits.
 */
async function explainNoMatch(ctx: IronicContext, request: ClaimRequest, owners: ReadonlyMap<string, readonly string[]> | undefined): Promise<never> {
  if (request.exclude !== undefined && request.exclude.size > 0) {
    throw new CpiError('CPX_VM_CREATION_FAILED', `Choosing another node for VM ${request.cid} (agent ${request.agentId}): ${NO_OTHER_NODE}`, {
      okToRetry: true,
    });
  }
  const all: SelectableNode[] = [];
  const { fields, microversion } = await selectionListing(ctx.client, [], { signal: request.signal });
  for await (const page of listNodes(
    ctx.client,
    { ...inShard(ctx.config), fields, limit: 1000 },
    { doing: `Listing nodes to explain why none fits VM ${request.cid}`, signal: request.signal, microversion },
  )) {
    all.push(...(page as SelectableNode[]));
  }
  const shard = ctx.config.shard;
  const why = all.length === 0 && shard !== undefined ? `Ironic has no nodes in shard ${shard}` : explainRejections(all, request.requirements, owners);
  throw new CpiError(
    'CPX_VM_CREATION_FAILED',
    `Choosing a node for VM ${request.cid} (agent ${request.agentId}): no free node matches the vm_type's cloud_properties. ${why}`,
    {
      okToRetry: false,
    },
  );
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
