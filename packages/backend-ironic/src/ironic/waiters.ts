import { CpiError } from '@hybrid-cpi/core';
import { getAllocation } from './allocations.js';
import { backoffDelay, realClock, realSleep, type BackoffPolicy, type Clock, type Sleep } from './backoff.js';
import type { IronicClient } from './client.js';
import { getNode } from './nodes.js';
import { STABLE_STATES, isFailureState, isMoving, type PowerState, type ProvisionState } from './states.js';
import type { Allocation, Node } from './types.js';

/** Between polls: 0.5 s, doubling, at most 10 s (a real deploy takes many minutes; the lab, a second). */
export const DEFAULT_POLL: BackoffPolicy = { baseMs: 500, maxMs: 10_000 };

export interface Progress {
  readonly state: string;
  readonly elapsedMs: number;
  readonly attempt: number;
}

export interface WaitOptions {
  /** The whole wait, from the first poll. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** After every poll (the backend reports it on stderr). */
  readonly onProgress?: (progress: Progress) => void;
  readonly doing?: string;
  /**
   * Gives up early (reason `stuck`) when the subject stays in `state` for `ms`, counted from the
   * last change the subject reports (for a node: its state or `provision_updated_at`).
   */
  readonly stuck?: { readonly state: string; readonly ms: number };
  readonly poll?: Partial<BackoffPolicy>;
  readonly sleep?: Sleep;
  readonly clock?: Clock;
  readonly random?: () => number;
}

const BRAND = Symbol.for('@hybrid-cpi/backend-ironic.IronicWaitError');

/**
 * A wait that ended without success: the resource `failed`, time ran out, it stayed `stuck` in one
 * state past its limit, or the caller aborted.
 */
export class IronicWaitError extends CpiError {
  readonly reason: 'failed' | 'timeout' | 'stuck' | 'aborted';
  /** The last state seen (provision state, or allocation state). */
  readonly state: string | undefined;
  /** The node's or the allocation's `last_error`. */
  readonly lastError: string | null;
  /** The distinct states seen, in order. */
  readonly observed: readonly string[];

  constructor(
    reason: IronicWaitError['reason'],
    message: string,
    details: { state: string | undefined; lastError: string | null; observed: readonly string[]; cause?: unknown },
  ) {
    super('CPX_BACKEND_FAILURE', message, details.cause === undefined ? {} : { cause: details.cause });
    this.name = 'IronicWaitError';
    this.reason = reason;
    this.state = details.state;
    this.lastError = details.lastError;
    this.observed = details.observed;
    Object.defineProperty(this, BRAND, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return isIronicWaitError(value);
  }
}

export function isIronicWaitError(value: unknown): value is IronicWaitError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

type Verdict = 'done' | 'wait' | 'failed';

interface Subject<T> {
  readonly fetch: (signal: AbortSignal | undefined) => Promise<T>;
  readonly judge: (value: T) => Verdict;
  /** "deploying (target active)" */
  readonly describe: (value: T) => string;
  readonly state: (value: T) => string;
  /** Changes whenever the subject moves on, even within one state (a stuck check's clock restarts). */
  readonly progress?: (value: T) => string;
  readonly lastError: (value: T) => string | null;
  /** "node 6f…" */
  readonly name: string;
}

/** One immediate poll, then jittered back-off up to a cap; bounded by `timeoutMs` and `signal`. */
async function poll<T>(subject: Subject<T>, doing: string, options: WaitOptions): Promise<T> {
  const clock = options.clock ?? realClock;
  const sleep = options.sleep ?? realSleep;
  const random = options.random ?? Math.random;
  const policy = { ...DEFAULT_POLL, ...options.poll };
  const { signal } = options;
  const started = clock();
  const observed: string[] = [];
  let last: T | undefined;
  let mark: { at: number; progress: string } | undefined;
  const stop = (reason: IronicWaitError['reason'], message: string, cause?: unknown) =>
    new IronicWaitError(reason, `${doing}: ${message}`, {
      state: last === undefined ? undefined : subject.state(last),
      lastError: last === undefined ? null : subject.lastError(last),
      observed: [...observed],
      ...(cause === undefined ? {} : { cause }),
    });
  const seen = () => (observed.length > 1 ? ` (seen: ${observed.join(' → ')})` : '');
  const aborted = (cause: unknown) =>
    stop(
      'aborted',
      `stopped waiting for ${subject.name}${last === undefined ? '' : `, still ${subject.describe(last)},`} because the call was aborted${seen()}`,
      cause,
    );

  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) throw aborted(signal.reason);
    try {
      last = await subject.fetch(signal);
    } catch (error) {
      if (signal?.aborted) throw aborted(error);
      throw error;
    }
    const state = subject.state(last);
    if (observed.at(-1) !== state) observed.push(state);
    options.onProgress?.({ state, elapsedMs: Math.round(clock() - started), attempt });
    const verdict = subject.judge(last);
    if (verdict === 'done') return last;
    if (verdict === 'failed') {
      throw stop('failed', `${subject.name} is ${subject.describe(last)}: ${subject.lastError(last) ?? 'Ironic gave no last_error'}${seen()}`);
    }
    let remaining = started + options.timeoutMs - clock();
    if (remaining <= 0) {
      throw stop('timeout', `${subject.name} is still ${subject.describe(last)} after ${duration(options.timeoutMs)}${seen()}`);
    }
    if (options.stuck !== undefined) {
      const progress = `${state}\u0000${subject.progress?.(last) ?? ''}`;
      if (mark?.progress !== progress) mark = { at: clock(), progress };
      if (state === options.stuck.state) {
        const left = mark.at + options.stuck.ms - clock();
        if (left <= 0) throw stop('stuck', `${subject.name} stayed ${subject.describe(last)} for ${duration(options.stuck.ms)}, its limit${seen()}`);
        remaining = Math.min(remaining, left);
      }
    }
    try {
      await sleep(Math.min(backoffDelay(attempt, policy, random), remaining), signal);
    } catch (error) {
      if (signal?.aborted) throw aborted(error);
      throw error;
    }
  }
}

/**
 * Polls a node until it is in one of `expected` and returns it: a stable state (`available`,
 * `active`, …) once no operation is in progress (see isMoving), any other (`wait call-back`,
 * `deploy failed`, which keep their target) at once. Stops early when it lands in a failure state (`deploy
 * failed`, `clean failed`, `error`, any `* failed`) or rests in another stable state with a
 * `last_error` (a failed verification drops a node back to `enroll`), with that `last_error` in
 * the message.
 */
export async function waitForProvisionState(
  client: IronicClient,
  id: string,
  expected: ProvisionState | readonly ProvisionState[],
  options: WaitOptions,
): Promise<Node> {
  const wanted: readonly string[] = typeof expected === 'string' ? [expected] : expected;
  return poll<Node>(
    {
      name: `node ${id}`,
      fetch: (signal) => getNode(client, id, { doing: `Waiting for node ${id}`, ...(signal === undefined ? {} : { signal }) }),
      judge: (node) => {
        const busy = isMoving(node);
        // A wanted state that is only a step on the way (`wait call-back`) counts at once.
        if (wanted.includes(node.provision_state)) return busy && STABLE_STATES.has(node.provision_state) ? 'wait' : 'done';
        if (isFailureState(node.provision_state)) return 'failed';
        if (!busy && STABLE_STATES.has(node.provision_state) && node.last_error) return 'failed';
        return 'wait';
      },
      describe: (node) => `"${node.provision_state}"${node.target_provision_state ? ` (target "${node.target_provision_state}")` : ''}`,
      state: (node) => node.provision_state,
      progress: (node) => node.provision_updated_at ?? '',
      lastError: (node) => node.last_error ?? null,
    },
    options.doing ?? `Waiting for node ${id} to reach ${wanted.map((s) => `"${s}"`).join(' or ')}`,
    options,
  );
}

/**
 * Polls a node until its power state is `expected` with no power change in progress. A failed
 * change sets `power_state` to `error` and `last_error`: that ends the wait at once.
 */
export async function waitForPowerState(client: IronicClient, id: string, expected: PowerState, options: WaitOptions): Promise<Node> {
  return poll<Node>(
    {
      name: `node ${id}`,
      fetch: (signal) => getNode(client, id, { doing: `Waiting for node ${id}`, ...(signal === undefined ? {} : { signal }) }),
      judge: (node) => {
        const busy = node.target_power_state !== null && node.target_power_state !== undefined;
        if (busy) return 'wait';
        if (node.power_state === expected) return 'done';
        return node.power_state === 'error' ? 'failed' : 'wait';
      },
      describe: (node) => `"${node.power_state ?? 'unknown'}"${node.target_power_state ? ` (target "${node.target_power_state}")` : ''}`,
      state: (node) => node.power_state ?? 'unknown',
      lastError: (node) => node.last_error ?? null,
    },
    options.doing ?? `Waiting for node ${id} to be "${expected}"`,
    options,
  );
}

/** Polls an allocation until `active` (returned) or `error` (thrown, with its `last_error`). */
export async function waitForAllocation(client: IronicClient, id: string, options: WaitOptions): Promise<Allocation> {
  return poll<Allocation>(
    {
      name: `allocation ${id}`,
      fetch: (signal) => getAllocation(client, id, { doing: `Waiting for allocation ${id}`, ...(signal === undefined ? {} : { signal }) }),
      judge: (allocation) => (allocation.state === 'active' ? 'done' : allocation.state === 'error' ? 'failed' : 'wait'),
      describe: (allocation) => `"${allocation.state}"`,
      state: (allocation) => allocation.state,
      lastError: (allocation) => allocation.last_error ?? null,
    },
    options.doing ?? `Waiting for allocation ${id}`,
    options,
  );
}

/**
 * Polls a node until no conductor holds its lock (`reservation` is null). The client already
 * retries a 409 "is locked"; this is for callers that want to wait before a burst of calls.
 */
export async function waitForUnlocked(client: IronicClient, id: string, options: WaitOptions): Promise<Node> {
  return poll<Node>(
    {
      name: `node ${id}`,
      fetch: (signal) => getNode(client, id, { doing: `Waiting for node ${id}`, ...(signal === undefined ? {} : { signal }) }),
      judge: (node) => ((node.reservation ?? null) === null ? 'done' : 'wait'),
      describe: (node) => `locked by ${node.reservation ?? 'nobody'}`,
      state: (node) => ((node.reservation ?? null) === null ? 'unlocked' : `locked by ${node.reservation}`),
      lastError: (node) => node.last_error ?? null,
    },
    options.doing ?? `Waiting for the lock on node ${id} to clear`,
    options,
  );
}

function duration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}
