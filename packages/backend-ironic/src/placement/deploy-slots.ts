import { CpiError } from '@hybrid-cpi/core';
import { DEFAULTS, type IronicContext } from '../config.js';
import { backoffDelay, type BackoffPolicy } from '../ironic/backoff.js';
import { isIronicHttpError } from '../ironic/errors.js';
import { listNodes, patchNode } from '../ironic/nodes.js';
import { add } from '../ironic/patch.js';
import type { Node } from '../ironic/types.js';
import { VM_KEY, vmRecord } from '../node/vm-node.js';
import { inShard } from '../selection/shard.js';

/*
 * The provisioning throttle: at most `max_concurrent_deploys` of the CPI's deploys in flight per
 * conductor group, kept by every CPI process of every director through Ironic alone.
 *
 * A create_vm marks its claimed node (`extra.bosh_vm.deploy_slot`, `held`) before it deploys,
 * then counts, in one listing of the group's claimed nodes, the CPI's nodes in `deploying` or
 * `wait call-back` and the other held marks. It deploys only when that count, its own mark
 * included, is within the limit; otherwise the marks ranked last by their place in the queue
 * (`queued_at`, then node UUID) are taken back, and their create_vm waits, queued, for its turn.
 *
 * The bound: at any moment, at most `limit` create_vm calls of one group have passed the count
 * and not yet left the deploy states. Take those that have and the one among them whose mark was
 * written last: every other had written its mark before, and its node has shown the mark or a
 * deploy state ever since (a mark is never taken back after its count passed, and the deploy
 * request turns `available` into `deploying` in one step), so the last one's count, made after its
 * own mark, saw all of them. It passed, so there are at most `limit`. This holds when (1) the
 * listing is one page (fewer than 1000 claimed nodes of the group are not `active`: `active` sorts
 * last), (2) the CPI hosts' clocks differ by less than half of {@link HELD_TTL_MS} (a mark older
 * than that is a dead process's and ignored), and (3) every process has the same limit (else the
 * largest holds). A deploy on a disks' node (rebuild.ts) waits for room but holds no mark (a
 * rebuilt node is `active`, past the listing's end, and a disks' records change only under the
 * node's lock): such deploys starting together may exceed the limit by their number.
 */

/** `extra.bosh_vm.deploy_slot`: a create_vm's place in the queue for a deploy, and whether it holds a slot. */
export interface DeploySlot {
  /** When the create_vm began to wait (wall clock, ISO 8601): its place in the queue. */
  readonly queued_at: string;
  /** Counted against the limit (the create_vm is about to deploy), or only queued. */
  readonly held: boolean;
  /** When the mark was last written; a mark not rewritten for its TTL is a dead process's. */
  readonly at: string;
}

/** Provision states of a deploy in flight, as Ironic counts them for its own `[conductor]max_concurrent_deploy`. */
export const IN_FLIGHT: ReadonlySet<string> = new Set(['deploying', 'wait call-back']);
/** A held mark lives this long unless rewritten; its holder rewrites it at half of it. */
export const HELD_TTL_MS = 300_000;
/** A queued mark lives this long; its create_vm rewrites it every {@link QUEUED_REFRESH_MS} while it waits. */
export const QUEUED_TTL_MS = 120_000;
const QUEUED_REFRESH_MS = 30_000;
/**
 * Between looks while queued: 1 s for each create_vm that goes before this one beyond the free
 * room, at least 1 s and at most 10 s, jittered: the next in line looks often, the back of a long
 * queue rarely, so a freed slot is soon taken without every waiter listing all the time.
 */
const POLL_STEP_MS = 1000;
const POLL_MAX_MS = 10_000;
/** A holder over the limit that keeps its place looks again soon: the ones behind it are taking theirs back. */
const RECHECK: BackoffPolicy = { baseMs: 400, maxMs: 400 };

interface Mark {
  readonly uuid: string;
  readonly queued_at: string;
}

/** What one look at a conductor group shows of the other create_vm calls. */
export interface SlotView {
  /** The CPI's nodes in a deploy state (its other deploys in flight). */
  readonly deploying: number;
  /** Nodes whose held mark is fresh: about to deploy. */
  readonly holding: readonly Mark[];
  /** Nodes whose queued mark is fresh: waiting for a slot. */
  readonly queued: readonly Mark[];
}

type Listed = Pick<Node, 'uuid' | 'provision_state' | 'extra'>;

/** The view from listed nodes, leaving out `self`, foreign nodes (no VM record) and stale marks; `now` is wall-clock ms. */
export function slotView(nodes: readonly Listed[], self: string, now: number): SlotView {
  let deploying = 0;
  const holding: Mark[] = [];
  const queued: Mark[] = [];
  for (const node of nodes) {
    const record = vmRecord(node);
    if (node.uuid === self || record === undefined) continue;
    if (IN_FLIGHT.has(node.provision_state)) deploying++;
    const slot = record.deploy_slot;
    if (node.provision_state !== 'available' || slot === undefined) continue;
    const age = now - Date.parse(slot.at);
    if (slot.held && age < HELD_TTL_MS) holding.push({ uuid: node.uuid, queued_at: slot.queued_at });
    else if (!slot.held && age < QUEUED_TTL_MS) queued.push({ uuid: node.uuid, queued_at: slot.queued_at });
  }
  return { deploying, holding, queued };
}

/**
 * What a create_vm does after a look: `deploy` (its held mark fits the limit), `hold` (over the
 * limit, but ranked within it: the others take theirs back; look again), `release` (over, and
 * ranked out: back to the queue), `take` (queued, and its turn: mark held, then look again), or
 * `wait` (queued, not its turn).
 */
export function nextStep(view: SlotView, me: Mark & { readonly held: boolean }, limit: number): 'deploy' | 'hold' | 'release' | 'take' | 'wait' {
  const ahead = (m: Mark) => m.queued_at < me.queued_at || (m.queued_at === me.queued_at && m.uuid < me.uuid);
  const room = limit - view.deploying;
  if (me.held) {
    if (view.deploying + view.holding.length + 1 <= limit) return 'deploy';
    return view.holding.filter(ahead).length < room ? 'hold' : 'release';
  }
  return view.holding.length + view.queued.filter(ahead).length < room ? 'take' : 'wait';
}

/** A deploy slot being taken for one node, whose VM record carries the mark already (written with it). */
export interface SlotRequest {
  readonly node: Pick<Node, 'uuid' | 'conductor_group'>;
  readonly cid: string;
  readonly slot: DeploySlot;
  /** The create_vm's time budget (a `ctx.clock` time). */
  readonly deadline: number;
  readonly signal: AbortSignal;
}

/** A new held mark: `queued_at` kept from an earlier try of the same create_vm, if any. */
export function newSlot(queuedAt?: string): DeploySlot {
  const now = new Date().toISOString();
  return { queued_at: queuedAt ?? now, held: true, at: now };
}

/**
 * Waits until the node's create_vm may deploy (see the bound above), then starts the deploy with
 * `start`, whose 503 back-pressure is waited out only while the mark stays fresh: past that, the
 * mark is rewritten and the deploy asked again. Fails (retryably) when the budget runs out first.
 */
export async function deployInSlot(ctx: IronicContext, request: SlotRequest, start: (until: number) => Promise<void>): Promise<void> {
  let slot = await takeSlot(ctx, request);
  const { node, cid, deadline, signal } = request;
  for (;;) {
    const fresh = Date.parse(slot.at) + HELD_TTL_MS / 2 - Date.now();
    try {
      return await start(Math.min(deadline, ctx.clock() + fresh));
    } catch (error) {
      if (!isIronicHttpError(error) || error.status !== 503 || ctx.clock() >= deadline) throw error;
      slot = await writeSlot(ctx, node.uuid, cid, { ...slot, at: new Date().toISOString() }, signal);
    }
  }
}

async function takeSlot(ctx: IronicContext, request: SlotRequest): Promise<DeploySlot> {
  const { node, cid, deadline, signal } = request;
  const limit = ctx.config.max_concurrent_deploys ?? DEFAULTS.maxConcurrentDeploys;
  const started = ctx.clock();
  let slot = request.slot;
  let looks = 0;
  for (;;) {
    const view = await look(ctx, node, cid, signal);
    const step = nextStep(view, { uuid: node.uuid, ...slot }, limit);
    if (step === 'deploy') {
      if (looks > 0) ctx.logger.info({ vm: cid, node: node.uuid, waited_s: seconds(ctx.clock() - started) }, 'took a deploy slot');
      return slot;
    }
    if (step === 'take' || step === 'release' || (!slot.held && Date.now() - Date.parse(slot.at) > QUEUED_REFRESH_MS)) {
      slot = await writeSlot(ctx, node.uuid, cid, { ...slot, held: step === 'take' || step === 'hold', at: new Date().toISOString() }, signal);
      if (step === 'take') continue;
    }
    const waited = ctx.clock() - started;
    const ahead = view.queued.filter((m) => m.queued_at < slot.queued_at).length;
    const before = view.holding.length + ahead - (limit - view.deploying);
    if (step !== 'hold') {
      ctx.logger.info(
        {
          vm: cid,
          node: node.uuid,
          conductor_group: node.conductor_group,
          in_flight: view.deploying + view.holding.length,
          queued_ahead: ahead,
          limit,
          waited_s: seconds(waited),
        },
        'waiting for a deploy slot: max_concurrent_deploys deploys are in flight in the conductor group',
      );
    }
    if (ctx.clock() >= deadline) {
      throw new CpiError(
        'CPX_VM_CREATION_FAILED',
        `Deploying VM ${cid} on node ${node.uuid}: waited ${seconds(waited)} s for a deploy slot and deploy_timeout_seconds is spent: ` +
          `${view.deploying + view.holding.length} of the CPI's deploys are in flight in conductor group '${node.conductor_group}' ` +
          `(max_concurrent_deploys ${limit}) and ${ahead} create_vm calls were queued before this one`,
        { okToRetry: true },
      );
    }
    looks++;
    const poll = Math.min(POLL_MAX_MS, POLL_STEP_MS * (1 + Math.max(0, before)));
    const pause = backoffDelay(1, step === 'hold' ? RECHECK : { baseMs: poll, maxMs: poll }, Math.random);
    await ctx.sleep(Math.max(0, Math.min(pause, deadline - ctx.clock())), signal);
  }
}

/** Waits until the group has room for one more deploy, without a mark (a deploy on a disks' node). */
export async function waitForRoom(ctx: IronicContext, request: Omit<SlotRequest, 'slot'>): Promise<void> {
  const { node, cid, deadline, signal } = request;
  const limit = ctx.config.max_concurrent_deploys ?? DEFAULTS.maxConcurrentDeploys;
  const started = ctx.clock();
  for (;;) {
    const view = await look(ctx, node, cid, signal);
    const inFlight = view.deploying + view.holding.length;
    if (inFlight < limit || ctx.clock() >= deadline) return;
    ctx.logger.info(
      { vm: cid, node: node.uuid, conductor_group: node.conductor_group, in_flight: inFlight, limit, waited_s: seconds(ctx.clock() - started) },
      'waiting for room to deploy: max_concurrent_deploys deploys are in flight in the conductor group',
    );
    const poll = Math.min(POLL_MAX_MS, POLL_STEP_MS * (1 + inFlight - limit));
    await ctx.sleep(Math.max(0, Math.min(backoffDelay(1, { baseMs: poll, maxMs: poll }, Math.random), deadline - ctx.clock())), signal);
  }
}

/**
 * One listing of the group's claimed nodes, sorted by provision state, descending: `active`
 * sorts below every other state, so once a page shows an `active` node every node deploying or
 * marked has been read, whatever the number of deployed ones.
 */
async function look(ctx: IronicContext, node: SlotRequest['node'], cid: string, signal: AbortSignal): Promise<SlotView> {
  const listed: Listed[] = [];
  const filters = {
    associated: true,
    conductor_group: node.conductor_group,
    // In a shard, only its nodes: a backend reads no other director's (their deploys go uncounted).
    ...inShard(ctx.config),
    sort_key: 'provision_state',
    sort_dir: 'desc',
    fields: ['uuid', 'provision_state', 'extra'],
    limit: 1000,
  } as const;
  const doing = `Counting the deploys in flight in conductor group '${node.conductor_group}' for VM ${cid}`;
  let pages = 0;
  for await (const page of listNodes(ctx.client, filters, { doing, signal })) {
    listed.push(...page);
    if (++pages === 2)
      ctx.logger.warn(
        { vm: cid, conductor_group: node.conductor_group },
        'over 1000 claimed nodes of the group are not active: the count of deploys spans pages',
      );
    if (page.some((n) => n.provision_state === 'active')) break;
  }
  return slotView(listed, node.uuid, Date.now());
}

async function writeSlot(ctx: IronicContext, uuid: string, cid: string, slot: DeploySlot, signal: AbortSignal): Promise<DeploySlot> {
  await patchNode(ctx.client, uuid, [add(['extra', VM_KEY, 'deploy_slot'], slot)], {
    doing: `${slot.held ? 'Holding' : 'Queueing for'} a deploy slot for VM ${cid} on node ${uuid}`,
    signal,
  });
  return slot;
}

const seconds = (ms: number) => Math.round(ms / 1000);
