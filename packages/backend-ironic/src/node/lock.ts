import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { CpiError } from '@hybrid-cpi/core';
import type { IronicContext } from '../config.js';
import { backoffDelay } from '../ironic/backoff.js';
import { isIronicHttpError, isNotFound } from '../ironic/errors.js';
import { addNodeTrait, getNode, patchNode, removeNodeTrait } from '../ironic/nodes.js';
import type { PatchOp } from '../ironic/patch.js';
import { isMoving } from '../ironic/states.js';
import type { Node } from '../ironic/types.js';

/**
 * One CPI process at a time changes the BOSH records of a node.
 *
 * Why: Ironic applies a JSON patch to the node as the API read it and then saves whole fields, so
 * two PATCHes of `extra` that overlap in time lose one another's change, even on different keys
 * (8 concurrent `add /extra/k<i>` on the lab's Ironic 21.4 left one key). `test` is not a patch
 * op, and the one update Ironic checks under its node lock, setting `instance_uuid` where none is,
 * cannot serve while the node must stay claimed. What Ironic does keep apart are rows: each node
 * trait is one, added and removed on its own.
 *
 * How: a process that wants the node adds a trait naming itself,
 * `CUSTOM_BOSH_LOCK_<ms>_<host>_<pid>_<rand>`, and reads the node. Alone, it holds the lock until
 * it removes its trait. Not alone: the oldest trait keeps its place, the others take theirs back
 * and wait until they see no lock, then try again. Two processes can never both see themselves
 * alone: whichever added its trait later reads the other's. A holder never removes its trait
 * before it is done, so a waiter that sees it keeps waiting. Waiting is only reading: each trait
 * change takes Ironic's node lock, which contending writers pay in seconds.
 *
 * A killed holder leaves its trait: one of a process on this host (same boot, same PID namespace)
 * that no longer runs is removed at once; any other is removed once a waiter has seen it for
 * {@link LEASE_MS}. Critical sections are kept well below that ({@link HOLD_MS}).
 */
const LOCK_PREFIX = 'CUSTOM_BOSH_LOCK_';
const LOCK = /^CUSTOM_BOSH_LOCK_(\d{13})_([0-9A-F]{8})_(\d+)_[0-9A-F]{4}$/;

/** How long a lock trait may stay before a waiter takes its holder for dead. */
export const LEASE_MS = 60_000;
/** How long the work under the lock may take: half the lease, so it never outlives it. */
const HOLD_MS = LEASE_MS / 2;

export interface LockOptions {
  readonly random?: () => number;
  /** Whether a process of this host runs; injected by tests. */
  readonly alive?: (pid: number) => boolean;
}

/**
 * Runs `work` with the node's lock held, giving it the node as read after the lock was taken.
 * `work` gets a signal that aborts after {@link HOLD_MS}.
 */
export async function withNodeLock<T>(
  ctx: IronicContext,
  nodeUuid: string,
  doing: string,
  signal: AbortSignal,
  work: (node: Node, signal: AbortSignal) => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const mine = lockTrait(Date.now(), options.random ?? Math.random);
  try {
    const node = await acquire(ctx, nodeUuid, mine, doing, signal, options);
    return await work(node, AbortSignal.any([signal, AbortSignal.timeout(HOLD_MS)]));
  } finally {
    // Removed whatever happened (an abort, a failed wait): a trait left behind makes others wait.
    await removeNodeTrait(ctx.client, nodeUuid, mine, { doing: `${doing}: releasing the node's lock` }).catch((error: unknown) => {
      if (!isNotFound(error))
        ctx.logger.warn(
          { node: nodeUuid, lock: mine, err: (error as Error).message },
          'releasing the node lock failed; other CPI processes take it over after the lease',
        );
    });
  }
}

/**
 * Changes a node under its lock: `change` gets the node as it is now and returns the patch, or
 * nothing to leave it alone. Returns the node as it is after.
 */
export async function patchLocked(
  ctx: IronicContext,
  nodeUuid: string,
  doing: string,
  signal: AbortSignal,
  change: (node: Node) => readonly PatchOp[] | undefined,
  options: LockOptions = {},
): Promise<Node> {
  return withNodeLock(
    ctx,
    nodeUuid,
    doing,
    signal,
    async (node, held) => {
      const ops = change(node);
      if (ops === undefined || ops.length === 0) return node;
      if (isMoving(node)) {
        // Ironic refuses any PATCH while a provision change runs.
        throw new CpiError(
          'CPX_BACKEND_FAILURE',
          `${doing}: node ${nodeUuid} is busy ("${node.provision_state}", target "${node.target_provision_state}"); try again once it settles`,
          { okToRetry: true },
        );
      }
      return patchNode(ctx.client, nodeUuid, ops, { doing, signal: held });
    },
    options,
  );
}

/** Whether a trait is one of these locks (the operator views leave them out). */
export function isLockTrait(trait: string): boolean {
  return LOCK.test(trait);
}

async function acquire(ctx: IronicContext, nodeUuid: string, mine: string, doing: string, signal: AbortSignal, options: LockOptions): Promise<Node> {
  const { sleep, clock } = ctx;
  const random = options.random ?? Math.random;
  const alive = options.alive ?? processAlive;
  const firstSeen = new Map<string, number>();
  const started = clock();
  let waits = 0;
  let staggered = false;
  let reported = false;
  const announce = () =>
    addNodeTrait(ctx.client, nodeUuid, mine, { doing: `${doing}: taking the node's lock`, signal }).catch((error: unknown) =>
      Promise.reject(lockFailure(error, nodeUuid, doing)),
    );
  // Mostly nobody else wants the node: announce at once, look after.
  await announce();
  for (;;) {
    const node = await getNode(ctx.client, nodeUuid, { doing, signal });
    const traits = node.traits ?? [];
    const announced = traits.includes(mine);
    const others: string[] = [];
    for (const trait of traits.filter((t) => t !== mine && isLockTrait(t))) {
      if (!abandoned(trait, firstSeen, clock(), alive)) {
        others.push(trait);
        continue;
      }
      ctx.logger.warn({ node: nodeUuid, lock: trait }, 'removing the node lock of a CPI process that is gone');
      await removeNodeTrait(ctx.client, nodeUuid, trait, { doing: `${doing}: removing an abandoned lock`, signal }).catch(ignoreNotFound);
    }
    if (others.length === 0) {
      // Alone, with the trait in place (a waiter's may have been taken for abandoned): ours.
      if (announced) return node;
      // Others that saw it free too would add theirs in the same moment, and every trait change
      // waits for Ironic's node lock (a second apiece when they meet): stagger, then look again.
      if (waits > 0 && !staggered) {
        staggered = true;
        await sleep(Math.round(random() * 250), signal);
        continue;
      }
      staggered = false;
      await announce();
      continue;
    }
    if (!reported && clock() - started > 2_000) {
      reported = true;
      ctx.logger.info({ node: nodeUuid, held_by: others.map(describeLock) }, 'waiting for another CPI process to finish with the node');
    }
    if (announced && others.every((t) => mine < t)) {
      // Announced at the same time as others, and the oldest: keep the place, look again soon.
      await sleep(20 + Math.round(random() * 30), signal);
      continue;
    }
    // Someone holds it, or an older one waits: give way, and look (without adding) until it is free.
    if (announced) await removeNodeTrait(ctx.client, nodeUuid, mine, { doing: `${doing}: giving way on the node's lock`, signal }).catch(ignoreNotFound);
    await sleep(backoffDelay(++waits, { baseMs: 50, maxMs: 250 }, random), signal);
  }
}

function ignoreNotFound(error: unknown): void {
  if (!isNotFound(error)) throw error;
}

function abandoned(trait: string, firstSeen: Map<string, number>, now: number, alive: (pid: number) => boolean): boolean {
  const [, , host, pid] = LOCK.exec(trait)!;
  if (host === thisHost() && !alive(Number(pid))) return true;
  const seen = firstSeen.get(trait) ?? now;
  firstSeen.set(trait, seen);
  return now - seen >= LEASE_MS;
}

function lockTrait(now: number, random: () => number): string {
  const tail = Math.floor(random() * 0x10000)
    .toString(16)
    .toUpperCase()
    .padStart(4, '0');
  return `${LOCK_PREFIX}${String(now).padStart(13, '0')}_${thisHost()}_${process.pid}_${tail}`;
}

function describeLock(trait: string): string {
  const [, ms, host, pid] = LOCK.exec(trait)!;
  return `pid ${pid} on host ${host === thisHost() ? 'this host' : host} since ${new Date(Number(ms)).toISOString()}`;
}

function lockFailure(error: unknown, nodeUuid: string, doing: string): unknown {
  // 400: the node has Ironic's maximum of 50 traits.
  if (isIronicHttpError(error) && error.status === 400) {
    return new CpiError(
      'CPX_BACKEND_FAILURE',
      `${doing}: Ironic refused the lock trait on node ${nodeUuid} (${error.faultstring ?? 'no reason given'}); ` +
        'the CPI needs one free trait slot on a node it changes',
      { cause: error },
    );
  }
  return error;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * This host as lock traits name it: the kernel's boot id and this process's PID namespace, so a
 * PID is only judged where it means the same process (not across reboots, containers or BPM).
 * Where /proc is unreadable, a random id: other processes then wait out the lease.
 */
export function thisHost(): string {
  if (host !== undefined) return host;
  let identity: string;
  try {
    identity = `${fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()}/${fs.readlinkSync('/proc/self/ns/pid')}`;
  } catch {
    identity = randomBytes(16).toString('hex');
  }
  host = createHash('sha1').update(identity).digest('hex').slice(0, 8).toUpperCase();
  return host;
}
let host: string | undefined;
