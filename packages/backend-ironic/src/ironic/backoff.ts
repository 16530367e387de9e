import { setTimeout as delay } from 'node:timers/promises';

/** Exponential back-off: the n-th wait is drawn from [c/2, c] with c = min(maxMs, baseMs·2ⁿ⁻¹). */
export interface BackoffPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
}

/**
 * "Equal jitter": half of the ceiling is fixed, so waits still grow, and half is random, so
 * processes that collided on a node lock do not retry in lock-step.
 */
export function backoffDelay(retry: number, policy: BackoffPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, retry - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Waits `ms`; rejects with the signal's reason when it aborts. Injected so tests need no timers. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const realSleep: Sleep = (ms, signal) => delay(ms, undefined, signal === undefined ? undefined : { signal });

/** Milliseconds from a monotonic clock. */
export type Clock = () => number;

export const realClock: Clock = () => performance.now();
