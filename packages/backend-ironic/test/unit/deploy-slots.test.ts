// The provisioning throttle (placement/deploy-slots.ts): the decision from one look at a conductor
// group, the bound it keeps under every interleaving of many processes (a seeded simulation of the
// protocol over an in-memory node table), and the requests of a create_vm that finds room.
import { describe, expect, it } from 'vitest';
import { HELD_TTL_MS, QUEUED_TTL_MS, deployInSlot, nextStep, slotView, type DeploySlot, type SlotView } from '../../src/placement/deploy-slots.js';
import { IronicHttpError } from '../../src/ironic/errors.js';
import type { ProvisionState } from '../../src/ironic/states.js';
import { backendContext, expectCall, useIronicMock } from './ironic/helpers.js';

const NOW = Date.parse('2026-12-05T12:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const slot = (held: boolean, queuedAt: number, at = NOW): DeploySlot => ({ queued_at: iso(queuedAt), held, at: iso(at) });
const node = (uuid: string, state: ProvisionState, deploySlot?: DeploySlot, record = true) => ({
  uuid,
  provision_state: state,
  extra: record ? { bosh_vm: { cid: `vm-${uuid}`, agent_id: 'a', enrolled: false, ...(deploySlot === undefined ? {} : { deploy_slot: deploySlot }) } } : {},
});

describe('slotView: what one look shows', () => {
  it("counts the CPI's deploys in flight and the fresh marks of others, nothing of foreign nodes, stale marks or itself", () => {
    const view = slotView(
      [
        node('d1', 'wait call-back'),
        node('d2', 'deploying', slot(true, NOW - 5000)),
        node('foreign', 'deploying', undefined, false),
        node('h1', 'available', slot(true, NOW - 3000)),
        node('h-stale', 'available', slot(true, NOW - 9_000_000, NOW - HELD_TTL_MS - 1)),
        node('q1', 'available', slot(false, NOW - 2000)),
        node('q-stale', 'available', slot(false, NOW - 9_000_000, NOW - QUEUED_TTL_MS - 1)),
        node('plain', 'available'),
        node('done', 'active', slot(true, NOW - 60_000)),
        node('me', 'available', slot(true, NOW)),
      ],
      'me',
      NOW,
    );
    expect(view).toEqual({
      deploying: 2,
      holding: [{ uuid: 'h1', queued_at: iso(NOW - 3000) }],
      queued: [{ uuid: 'q1', queued_at: iso(NOW - 2000) }],
    });
  });
});

describe('nextStep', () => {
  const view = (deploying: number, holding: [string, number][] = [], queued: [string, number][] = []): SlotView => ({
    deploying,
    holding: holding.map(([uuid, q]) => ({ uuid, queued_at: iso(q) })),
    queued: queued.map(([uuid, q]) => ({ uuid, queued_at: iso(q) })),
  });
  const me = (held: boolean, queuedAt = NOW) => ({ uuid: 'm', queued_at: iso(queuedAt), held });

  it.each([
    ['room for its held mark: deploy', view(3, [['a', NOW - 1]]), me(true), 'deploy'],
    ['exactly full with it: deploy', view(4), me(true), 'deploy'],
    [
      'over, but first in the queue of holders: hold',
      view(3, [
        ['a', NOW + 1],
        ['b', NOW + 2],
      ]),
      me(true),
      'hold',
    ],
    [
      'over, and ranked out: release',
      view(3, [
        ['a', NOW - 2],
        ['b', NOW - 1],
      ]),
      me(true),
      'release',
    ],
    ['a tie of queue places goes by node UUID', view(4, [['a', NOW]]), me(true), 'release'],
    ['all slots deploying: release', view(5), me(true), 'release'],
    ['queued, room, nobody queued before it: take', view(3, [], [['late', NOW + 5]]), me(false), 'take'],
    [
      'queued, room taken by holders: wait',
      view(3, [
        ['a', NOW + 9],
        ['b', NOW + 9],
      ]),
      me(false),
      'wait',
    ],
    [
      'queued behind as many as there is room: wait',
      view(
        3,
        [],
        [
          ['a', NOW - 2],
          ['b', NOW - 1],
        ],
      ),
      me(false),
      'wait',
    ],
    ['queued, second with room for two: take', view(3, [], [['a', NOW - 2]]), me(false), 'take'],
  ] as const)('%s', (_, v, m, expected) => {
    expect(nextStep(v, m, 5)).toBe(expected);
  });
});

/**
 * The protocol of deployInSlot as a state machine per process, over one in-memory table of nodes:
 * every look is a snapshot taken at one step, every write another step, and a seeded scheduler
 * interleaves the steps of all processes arbitrarily (a look may be stale by the time its decision
 * is written), and each process's clock is off by its own skew. A deploy lasts a random number of
 * steps.
 */
function simulate(seed: number, processes: number, limit: number): { maxInFlight: number; finished: number; steps: number } {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  type Row = ReturnType<typeof node>;
  const table = new Map<string, Row>();
  let clock = NOW;
  type Proc = {
    uuid: string;
    mark: DeploySlot;
    phase: 'arrive' | 'look' | 'write' | 'deploying' | 'done';
    pending?: ReturnType<typeof nextStep>;
    passed: boolean;
    left: number;
    skew: number;
  };
  // Each process writes its marks by its own clock, off by up to ±50 steps: a mark's queue
  // place says nothing certain of when it was written.
  const procs: Proc[] = Array.from({ length: processes }, (_, i) => ({
    uuid: `n${String(i).padStart(2, '0')}`,
    mark: slot(true, NOW),
    phase: 'arrive',
    passed: false,
    left: 0,
    skew: Math.round((random() - 0.5) * 100),
  }));
  let maxInFlight = 0;
  let steps = 0;
  for (; steps < 200_000 && procs.some((p) => p.phase !== 'done'); steps++) {
    clock += 1;
    const running = procs.filter((q) => q.phase !== 'done');
    const p = running[Math.floor(random() * running.length)]!;
    switch (p.phase) {
      case 'arrive':
        // The record PATCH: the held mark, with the place in the queue taken on arrival.
        p.mark = slot(true, clock + p.skew, clock + p.skew);
        table.set(p.uuid, node(p.uuid, 'available', p.mark));
        p.phase = 'look';
        break;
      case 'look': {
        const step = nextStep(slotView([...table.values()], p.uuid, clock + p.skew), { uuid: p.uuid, ...p.mark }, limit);
        if (step === 'deploy') {
          // Passed: from here the node shows the held mark until the deploy request turns it to deploying.
          p.passed = true;
          p.phase = 'write';
          p.pending = step;
        } else if (step === 'take' || step === 'release') {
          p.phase = 'write';
          p.pending = step;
        }
        break;
      }
      case 'write':
        if (p.pending === 'deploy') {
          table.set(p.uuid, node(p.uuid, 'deploying', p.mark));
          p.phase = 'deploying';
          p.left = 1 + Math.floor(random() * 40);
        } else {
          p.mark = { ...p.mark, held: p.pending === 'take', at: iso(clock + p.skew) };
          table.set(p.uuid, node(p.uuid, 'available', p.mark));
          p.phase = 'look';
        }
        break;
      case 'deploying':
        if (--p.left === 0) {
          table.set(p.uuid, node(p.uuid, 'active', p.mark));
          p.phase = 'done';
        }
        break;
    }
    const inFlight = procs.filter((q) => q.passed && q.phase !== 'done').length;
    maxInFlight = Math.max(maxInFlight, inFlight);
  }
  return { maxInFlight, finished: procs.filter((p) => p.phase === 'done').length, steps };
}

describe('the bound, under every interleaving the scheduler finds', () => {
  it.each([
    [20, 5],
    [20, 1],
    [8, 3],
    [30, 20],
  ])(
    '%i processes, limit %i: never more in flight, and every one deploys',
    (processes, limit) => {
      const runs = Array.from({ length: 100 }, (_, i) => ({ seed: i + 1, ...simulate(i + 1, processes, limit) }));
      expect(runs.filter((r) => r.maxInFlight > limit || r.finished < processes)).toEqual([]);
      // Not stricter than it must be: the limit is reached.
      expect(Math.max(...runs.map((r) => r.maxInFlight))).toBe(Math.min(processes, limit));
    },
    30_000,
  );
});

describe('deployInSlot: the requests', () => {
  const make = useIronicMock();
  const target = { uuid: 'mine', conductor_group: 'rack-a' };
  const look = (pool: ReturnType<typeof make>['pool'], nodes: unknown[]) =>
    expectCall(pool, {
      method: 'GET',
      path: '/v1/nodes',
      query: {
        associated: 'true',
        conductor_group: 'rack-a',
        sort_key: 'provision_state',
        sort_dir: 'desc',
        fields: 'uuid,provision_state,extra',
        limit: '1000',
      },
    }).reply(200, { nodes, next: null });

  it('with room: one listing of the group, then the deploy', async () => {
    const { client, pool } = make();
    look(pool, [node('other', 'deploying'), node('mine', 'available', slot(true, Date.now())), node('old', 'active')]);
    const started: number[] = [];
    const request = {
      node: target,
      cid: 'vm-1',
      slot: slot(true, Date.now(), Date.now()),
      deadline: performance.now() + 60_000,
      signal: AbortSignal.timeout(60_000),
    };
    await deployInSlot(backendContext(client, { max_concurrent_deploys: 2 }), request, async (until) => {
      started.push(until);
    });
    expect(started).toHaveLength(1);
  });

  it("Ironic's 503 past the mark's freshness: the mark is rewritten and the deploy asked again", async () => {
    const { client, pool } = make();
    look(pool, [node('mine', 'available', slot(true, Date.now()))]);
    const rewritten: DeploySlot[] = [];
    pool.intercept({ method: 'PATCH', path: '/v1/nodes/mine' }).reply(200, (opts) => {
      rewritten.push((JSON.parse(String(opts.body)) as { value: DeploySlot }[])[0]!.value);
      return {};
    });
    let attempts = 0;
    const request = {
      node: target,
      cid: 'vm-1',
      slot: slot(true, Date.now() - 1000, Date.now() - 1000),
      deadline: performance.now() + 60_000,
      signal: AbortSignal.timeout(60_000),
    };
    await deployInSlot(backendContext(client), request, async () => {
      if (++attempts === 1) throw busy();
    });
    expect(attempts).toBe(2);
    expect(rewritten).toHaveLength(1);
    expect(rewritten[0]).toMatchObject({ held: true, queued_at: request.slot.queued_at });
    expect(Date.parse(rewritten[0]!.at)).toBeGreaterThan(Date.parse(request.slot.at));
  });
});

function busy(): IronicHttpError {
  return new IronicHttpError({
    service: 'Ironic',
    doing: 'Deploying',
    status: 503,
    method: 'PUT',
    path: '/v1/nodes/mine/states/provision',
    origin: 'http://ironic.test:6385',
    faultstring: 'Unable to complete the requested action because the maximum number of concurrent provisioning actions has been reached.',
    foreign: undefined,
    requestId: undefined,
  });
}
