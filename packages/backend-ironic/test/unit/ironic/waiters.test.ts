import { describe, expect, it } from 'vitest';
import type { Sleep } from '../../../src/ironic/backoff.js';
import {
  type IronicWaitError,
  isIronicWaitError,
  waitForAllocation,
  waitForProvisionState,
  waitForUnlocked,
  type Progress,
} from '../../../src/ironic/waiters.js';
import { ALLOC, NODE, allocationFixture, expectCall, ironicError, nodeFixture, useIronicMock } from './helpers.js';

const make = useIronicMock();

/** A clock that only sleeping moves; each GET also "takes" 10 ms. */
function fakeTime() {
  let now = 1000;
  const sleeps: number[] = [];
  const sleep: Sleep = async (ms, signal) => {
    signal?.throwIfAborted();
    sleeps.push(ms);
    now += ms;
  };
  return { clock: () => now, sleep, sleeps, tick: (ms: number) => (now += ms) };
}

function nodeAnswers(pool: ReturnType<typeof make>['pool'], ...states: Parameters<typeof nodeFixture>[0][]) {
  for (const state of states) expectCall(pool, { method: 'GET', path: `/v1/nodes/${NODE}` }).reply(200, nodeFixture(state));
}

async function caught(promise: Promise<unknown>): Promise<IronicWaitError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isIronicWaitError(error)).toBe(true);
  return error as IronicWaitError;
}

describe('waitForProvisionState', () => {
  it('polls at once, then with growing jittered delays, reporting progress, and returns the node', async () => {
    const { pool, client } = make();
    const time = fakeTime();
    nodeAnswers(
      pool,
      { provision_state: 'deploying', target_provision_state: 'active' },
      { provision_state: 'wait call-back', target_provision_state: 'active' },
      { provision_state: 'deploying', target_provision_state: 'active' },
      { provision_state: 'active', target_provision_state: null, instance_uuid: 'i' },
    );
    const progress: Progress[] = [];
    const node = await waitForProvisionState(client, NODE, 'active', {
      timeoutMs: 60_000,
      onProgress: (p) => progress.push(p),
      poll: { baseMs: 1000, maxMs: 3000 },
      random: () => 0.5,
      ...time,
    });
    expect(node.provision_state).toBe('active');
    expect(node.instance_uuid).toBe('i');
    expect(time.sleeps).toEqual([750, 1500, 2250]);
    expect(progress).toEqual([
      { state: 'deploying', elapsedMs: 0, attempt: 1 },
      { state: 'wait call-back', elapsedMs: 750, attempt: 2 },
      { state: 'deploying', elapsedMs: 2250, attempt: 3 },
      { state: 'active', elapsedMs: 4500, attempt: 4 },
    ]);
  });

  it('returns at once when the node is already there', async () => {
    const { pool, client } = make();
    const time = fakeTime();
    nodeAnswers(pool, { provision_state: 'available' });
    expect((await waitForProvisionState(client, NODE, ['available', 'manageable'], { timeoutMs: 1000, ...time })).provision_state).toBe('available');
    expect(time.sleeps).toEqual([]);
  });

  it('waits while the node is in the expected state but still has a target (rebuild)', async () => {
    const { pool, client } = make();
    const time = fakeTime();
    nodeAnswers(pool, { provision_state: 'active', target_provision_state: 'active' }, { provision_state: 'active' });
    await waitForProvisionState(client, NODE, 'active', { timeoutMs: 10_000, ...time });
    expect(time.sleeps).toHaveLength(1);
  });

  it('stops early on a failure state with last_error and the states seen', async () => {
    const { pool, client } = make();
    const time = fakeTime();
    nodeAnswers(
      pool,
      { provision_state: 'deploying', target_provision_state: 'active' },
      { provision_state: 'deploy failed', target_provision_state: 'active', last_error: 'Image http://x/img could not be downloaded: 404' },
    );
    const error = await caught(waitForProvisionState(client, NODE, 'active', { timeoutMs: 600_000, ...time }));
    expect(error.reason).toBe('failed');
    expect(error.state).toBe('deploy failed');
    expect(error.lastError).toBe('Image http://x/img could not be downloaded: 404');
    expect(error.observed).toEqual(['deploying', 'deploy failed']);
    expect(error.code).toBe('CPX_BACKEND_FAILURE');
    expect(error.message).toBe(
      `Waiting for node ${NODE} to reach "active": node ${NODE} is "deploy failed" (target "active"): Image http://x/img could not be downloaded: 404 ` +
        `(seen: deploying → deploy failed)`,
    );
  });

  it('knows clean failed, error, any "* failed", and says when there is no last_error', async () => {
    for (const state of ['clean failed', 'error', 'inspect failed', 'future failed'] as const) {
      const { pool, client } = make();
      nodeAnswers(pool, { provision_state: state as 'error', last_error: null });
      const error = await caught(waitForProvisionState(client, NODE, 'available', { timeoutMs: 1000, doing: 'Undeploying', ...fakeTime() }));
      expect(error.message).toBe(`Undeploying: node ${NODE} is "${state}": Ironic gave no last_error`);
    }
  });

  it('treats a failure state as success when it is the one expected', async () => {
    const { pool, client } = make();
    nodeAnswers(pool, { provision_state: 'error' });
    expect((await waitForProvisionState(client, NODE, ['active', 'error'], { timeoutMs: 1000, ...fakeTime() })).provision_state).toBe('error');
  });

  it('stops when a failed verification drops the node back to enroll', async () => {
    const { pool, client } = make();
    nodeAnswers(
      pool,
      { provision_state: 'verifying', target_provision_state: 'manageable' },
      { provision_state: 'enroll', last_error: 'Failed to get power state: BMC unreachable' },
    );
    const error = await caught(waitForProvisionState(client, NODE, 'manageable', { timeoutMs: 10_000, ...fakeTime() }));
    expect(error.reason).toBe('failed');
    expect(error.message).toMatch(/is "enroll": Failed to get power state: BMC unreachable \(seen: verifying → enroll\)$/);
  });

  it('keeps waiting in a stable state without last_error', async () => {
    const { pool, client } = make();
    nodeAnswers(pool, { provision_state: 'enroll' }, { provision_state: 'manageable' });
    await waitForProvisionState(client, NODE, 'manageable', { timeoutMs: 10_000, ...fakeTime() });
  });

  it('times out with the last state, polling once more at the deadline', async () => {
    const { pool, client } = make();
    const time = fakeTime();
    nodeAnswers(pool, ...Array.from({ length: 4 }, () => ({ provision_state: 'cleaning' as const, target_provision_state: 'available' as const })));
    const error = await caught(
      waitForProvisionState(client, NODE, 'available', { timeoutMs: 5000, poll: { baseMs: 1000, maxMs: 2000 }, random: () => 1, ...time }),
    );
    expect(time.sleeps).toEqual([1000, 2000, 2000]);
    expect(error.reason).toBe('timeout');
    expect(error.state).toBe('cleaning');
    expect(error.message).toBe(`Waiting for node ${NODE} to reach "available": node ${NODE} is still "cleaning" (target "available") after 5 s`);
  });

  it('counts the time the GETs take', async () => {
    const { pool, client } = make();
    const time = fakeTime();
    expectCall(pool, { method: 'GET', path: `/v1/nodes/${NODE}` }).reply(() => {
      time.tick(4000);
      return { statusCode: 200, data: nodeFixture({ provision_state: 'deploying', target_provision_state: 'active' }) };
    });
    expectCall(pool, { method: 'GET', path: `/v1/nodes/${NODE}` }).reply(200, nodeFixture({ provision_state: 'deploying', target_provision_state: 'active' }));
    const error = await caught(
      waitForProvisionState(client, NODE, 'active', { timeoutMs: 5000, poll: { baseMs: 4000, maxMs: 4000 }, random: () => 1, ...time }),
    );
    expect(time.sleeps).toEqual([1000]);
    expect(error.reason).toBe('timeout');
  });

  it('stops when the signal aborts during a sleep', async () => {
    const { pool, client } = make();
    const controller = new AbortController();
    nodeAnswers(pool, { provision_state: 'deploying', target_provision_state: 'active' });
    const error = await caught(
      waitForProvisionState(client, NODE, 'active', {
        timeoutMs: 60_000,
        signal: controller.signal,
        clock: () => 0,
        sleep: async (_ms, signal) => {
          controller.abort(new Error('CPI deadline'));
          signal?.throwIfAborted();
        },
      }),
    );
    expect(error.reason).toBe('aborted');
    expect(error.state).toBe('deploying');
    expect(error.message).toBe(
      `Waiting for node ${NODE} to reach "active": stopped waiting for node ${NODE}, still "deploying" (target "active"), because the call was aborted`,
    );
    expect((error.cause as Error).message).toBe('CPI deadline');
  });

  it('does not poll at all with an aborted signal', async () => {
    const { client } = make();
    const error = await caught(waitForProvisionState(client, NODE, 'active', { timeoutMs: 1000, signal: AbortSignal.abort(new Error('gone')), ...fakeTime() }));
    expect(error.reason).toBe('aborted');
    expect(error.message).toBe(`Waiting for node ${NODE} to reach "active": stopped waiting for node ${NODE} because the call was aborted`);
  });

  it('passes HTTP errors through', async () => {
    const { pool, client } = make();
    expectCall(pool, { method: 'GET', path: `/v1/nodes/${NODE}` }).reply(404, ironicError(`Node ${NODE} could not be found.`));
    await expect(waitForProvisionState(client, NODE, 'active', { timeoutMs: 1000, ...fakeTime() })).rejects.toThrowError(
      `Waiting for node ${NODE}: Ironic answered 404`,
    );
  });
});

describe('waitForAllocation', () => {
  it('returns the active allocation', async () => {
    const { pool, client } = make();
    expectCall(pool, { method: 'GET', path: `/v1/allocations/${ALLOC}` }).reply(200, allocationFixture());
    expectCall(pool, { method: 'GET', path: `/v1/allocations/${ALLOC}` }).reply(200, allocationFixture({ state: 'active', node_uuid: NODE }));
    expect((await waitForAllocation(client, ALLOC, { timeoutMs: 10_000, ...fakeTime() })).node_uuid).toBe(NODE);
  });

  it('throws the last_error of a failed allocation', async () => {
    const { pool, client } = make();
    expectCall(pool, { method: 'GET', path: `/v1/allocations/${ALLOC}` }).reply(
      200,
      allocationFixture({ state: 'error', last_error: 'No available nodes match the resource class bm.small.' }),
    );
    const error = await caught(waitForAllocation(client, ALLOC, { timeoutMs: 10_000, doing: 'Claiming a node for agent a-1', ...fakeTime() }));
    expect(error.lastError).toBe('No available nodes match the resource class bm.small.');
    expect(error.message).toBe(`Claiming a node for agent a-1: allocation ${ALLOC} is "error": No available nodes match the resource class bm.small.`);
  });

  it('times out while allocating', async () => {
    const { pool, client } = make();
    expectCall(pool, { method: 'GET', path: `/v1/allocations/${ALLOC}` })
      .reply(200, allocationFixture())
      .times(2);
    const error = await caught(waitForAllocation(client, ALLOC, { timeoutMs: 500, random: () => 1, ...fakeTime() }));
    expect(error.message).toBe(`Waiting for allocation ${ALLOC}: allocation ${ALLOC} is still "allocating" after 500 ms`);
  });
});

describe('waitForUnlocked', () => {
  it('waits until the reservation clears', async () => {
    const { pool, client } = make();
    nodeAnswers(pool, { reservation: 'ironic-lab' }, { reservation: null });
    const progress: string[] = [];
    await waitForUnlocked(client, NODE, { timeoutMs: 10_000, onProgress: (p) => progress.push(p.state), ...fakeTime() });
    expect(progress).toEqual(['locked by ironic-lab', 'unlocked']);
  });

  it('times out naming the holder', async () => {
    const { pool, client } = make();
    nodeAnswers(pool, { reservation: 'c1' }, { reservation: 'c1' });
    const error = await caught(waitForUnlocked(client, NODE, { timeoutMs: 100, ...fakeTime() }));
    expect(error.message).toBe(`Waiting for the lock on node ${NODE} to clear: node ${NODE} is still locked by c1 after 100 ms`);
  });
});

describe('waitForProvisionState: states with a target, and stuck states', () => {
  it('returns a wanted state that keeps its target (wait call-back, deploy failed) at once', async () => {
    const { pool, client } = make();
    nodeAnswers(
      pool,
      { provision_state: 'deploying', target_provision_state: 'active' },
      { provision_state: 'wait call-back', target_provision_state: 'active' },
    );
    const node = await waitForProvisionState(client, NODE, ['active', 'deploy failed', 'wait call-back'], { timeoutMs: 60_000, ...fakeTime() });
    expect(node.provision_state).toBe('wait call-back');
    nodeAnswers(pool, { provision_state: 'deploy failed', target_provision_state: 'active', last_error: 'boom' });
    expect((await waitForProvisionState(client, NODE, 'deploy failed', { timeoutMs: 60_000, ...fakeTime() })).last_error).toBe('boom');
  });

  it('gives up as stuck when the node stays in the state past its limit, sleeping no longer than the limit', async () => {
    const { pool, client } = make();
    const time = fakeTime();
    const waiting = { provision_state: 'wait call-back', target_provision_state: 'active', provision_updated_at: '2026-12-01T10:00:00' } as const;
    nodeAnswers(pool, { provision_state: 'deploying', target_provision_state: 'active' }, waiting, waiting, waiting);
    const error = await caught(
      waitForProvisionState(client, NODE, 'active', {
        timeoutMs: 3_600_000,
        stuck: { state: 'wait call-back', ms: 5000 },
        poll: { baseMs: 2000, maxMs: 4000 },
        random: () => 1,
        ...time,
      }),
    );
    expect(error).toMatchObject({ reason: 'stuck', state: 'wait call-back', observed: ['deploying', 'wait call-back'] });
    expect(error.message).toBe(
      `Waiting for node ${NODE} to reach "active": node ${NODE} stayed "wait call-back" (target "active") for 5 s, its limit (seen: deploying → wait ` +
        `call-back)`,
    );
    // 2 s to the first wait call-back poll; then 4 s, and the last sleep ends at the limit: 1 s.
    expect(time.sleeps).toEqual([2000, 4000, 1000]);
  });

  it('counts from the last change: a node that moves on within the state (a new provision_updated_at) is not stuck', async () => {
    const { pool, client } = make();
    const at = (t: string) => ({ provision_state: 'wait call-back', target_provision_state: 'active', provision_updated_at: t }) as const;
    nodeAnswers(pool, at('10:00:00'), at('10:00:04'), at('10:00:08'), { provision_state: 'active', target_provision_state: null });
    const node = await waitForProvisionState(client, NODE, 'active', {
      timeoutMs: 60_000,
      stuck: { state: 'wait call-back', ms: 5000 },
      poll: { baseMs: 4000, maxMs: 4000 },
      random: () => 1,
      ...fakeTime(),
    });
    expect(node.provision_state).toBe('active');
  });
});
