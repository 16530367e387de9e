import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger, type BackendName } from '@hybrid-cpi/core';
import { api, enrollFakeNode, removeNodes, type FakeNode } from '../../../../test/support/ironic-nodes.js';
import type { IronicContext } from '../../src/config.js';
import { realClock, realSleep } from '../../src/ironic/backoff.js';
import { connectIronic } from '../../src/ironic/connect.js';
import { addNodeTrait, patchNode } from '../../src/ironic/nodes.js';
import { isLockTrait, LEASE_MS, patchLocked, thisHost, withNodeLock } from '../../src/node/lock.js';
import { sharedLab } from './helpers.js';

const lab = sharedLab();
let ctx: IronicContext;
const nodes: FakeNode[] = [];
beforeAll(async () => {
  const client = await connectIronic({ url: lab.url }, { logger: silentLogger });
  ctx = {
    name: 'metal' as BackendName,
    config: { type: 'ironic', ironic: { url: lab.url } },
    agent: undefined,
    client,
    logger: silentLogger,
    clock: realClock,
    sleep: realSleep,
    useAllocations: async () => false,
  };
});
afterAll(async () => {
  await ctx?.client.close();
  await removeNodes(
    lab,
    nodes.map((n) => n.uuid),
  );
});

const signal = new AbortController().signal;
const fresh = async () => {
  const node = await enrollFakeNode(lab);
  nodes.push(node);
  return node.uuid;
};
const lockTraits = async (uuid: string) => ((await api(lab, 'GET', `/v1/nodes/${uuid}`)).traits as string[]).filter(isLockTrait);
/** A lock trait as another process would have left it. */
const trait = (host: string, pid: number) => `CUSTOM_BOSH_LOCK_${String(Date.now() - 1000).padStart(13, '0')}_${host}_${pid}_BEEF`;

describe('the node lock', () => {
  it('Ironic itself loses concurrent changes of extra, even on different keys: the reason for the lock', async () => {
    const uuid = await fresh();
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        fetch(`${lab.url}/v1/nodes/${uuid}`, { method: 'PATCH', headers: lab.headers, body: JSON.stringify([{ op: 'add', path: `/extra/k${i}`, value: i }]) }),
      ),
    );
    expect(Object.keys((await api(lab, 'GET', `/v1/nodes/${uuid}`)).extra).length).toBeLessThan(10);
  });

  it('lets one process at a time read, change and write: 8 increments at once all count, 8 records through patchLocked all stay', async () => {
    const uuid = await fresh();
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        await withNodeLock(ctx, uuid, 'counting', signal, async (node) => {
          most = Math.max(most, ++inside);
          const count = Number(node.extra['count'] ?? 0);
          await new Promise((resolve) => setTimeout(resolve, 20));
          await patchNode(ctx.client, uuid, [{ op: 'add', path: '/extra/count', value: count + 1 }]);
          inside--;
        });
        await patchLocked(ctx, uuid, 'adding', signal, () => [{ op: 'add', path: `/extra/r${i}`, value: i }]);
      }),
    );
    expect(most).toBe(1);
    const { extra } = await api(lab, 'GET', `/v1/nodes/${uuid}`);
    expect(extra).toEqual({ count: 8, ...Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`r${i}`, i])) });
    expect(await lockTraits(uuid)).toEqual([]);
  });

  it('removes at once the lock of a process of this host that is gone', async () => {
    const uuid = await fresh();
    const dead = trait(thisHost(), 2 ** 22 + 17);
    await addNodeTrait(ctx.client, uuid, dead);
    const started = Date.now();
    await withNodeLock(ctx, uuid, 'after a dead holder', signal, async () => undefined, { alive: () => false });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await lockTraits(uuid)).toEqual([]);
  });

  it('waits for a live holder elsewhere, and takes over its lock only after the lease', async () => {
    const uuid = await fresh();
    const elsewhere = trait('0BADCAFE', process.pid);
    await addNodeTrait(ctx.client, uuid, elsewhere);
    // A clock that runs a lease fast: each reading 5 s later than the one before.
    let now = 0;
    const clock = () => (now += 5_000);
    let acquiredAt = 0;
    await withNodeLock({ ...ctx, clock, sleep: async () => undefined }, uuid, 'after a stale holder', signal, async () => {
      acquiredAt = now;
    });
    expect(acquiredAt).toBeGreaterThanOrEqual(LEASE_MS);
    expect(await lockTraits(uuid)).toEqual([]);
  });

  it('a holder keeps the lock until it is done: a second process waits for it', async () => {
    const uuid = await fresh();
    const order: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const first = withNodeLock(ctx, uuid, 'first', signal, async () => {
      order.push('first in');
      await held;
      order.push('first out');
    });
    while (order.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    const second = withNodeLock(ctx, uuid, 'second', signal, async () => void order.push('second in'));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(order).toEqual(['first in']);
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(['first in', 'first out', 'second in']);
  });
});
