// Ironic under faults, through the built executable: whole lifecycles (create_vm,
// set_vm_metadata, create_disk, attach_disk, detach_disk, delete_disk, delete_vm) against the lab
// with two conductors, behind the fault proxy answering a seeded share of requests with 503, 409
// NodeLocked, a reset connection (before Ironic saw the request, or after it acted) and slow
// answers; and one outage per method (Ironic's API unreachable for as many tries as the client
// makes), so that call fails. Every call completes, or fails retryably and the director's retry (the same call again)
// completes; nothing is left claimed, deployed or half-written. The test prints a table of the
// faults injected and how each call ended.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RETRY } from '../../packages/backend-ironic/src/ironic/client.js';
import { vmCidFor } from '../../packages/backend-ironic/src/node/vm-cid.js';
import { startFaultProxy, type FaultProxy, type FaultRule } from '../support/fault-proxy.js';
import { TWO_CONDUCTOR_GROUPS, startIronic, type IronicLab } from '../support/ironic-lab.js';
import { api, enrollFakeNodes, type FakeNode } from '../support/ironic-nodes.js';
import { Workspace, describeRun, expectDirectorResponse, mapLimit, nextRequestId, runCpi, type CpiErrorBody } from './helpers/cpi.js';

const STEMCELL = `metal:qcow2:sha256:${'a'.repeat(64)}:http://127.0.0.1:9/stemcell.qcow2`;
const NETWORKS = { default: { type: 'dynamic', cloud_properties: {} } };
const RC = 'faulty';
const LIFECYCLES = Number(process.env['FAULT_LIFECYCLES'] ?? 30);
const AT_ONCE = 8;
/** A slow answer: longer than most of Ironic's, short enough to keep the run brief. */
const SLOW_MS = 300;
/** The director's tries of one call: create_vm's `max_vm_create_tries` default; an operator re-running a task for the others. */
const TRIES = 5;
const NODE_PATH = /^\/v1\/nodes\/[^/?]+/;

/** The faults, each on a seeded share of the requests it matches (the first rule that fires wins). */
const RULES: readonly FaultRule[] = [
  { share: 0.05, fault: { kind: 'status', status: 503 } },
  ...['PATCH', 'PUT', 'DELETE'].map((method) => ({ method, path: NODE_PATH, share: 0.08, fault: { kind: 'locked' } }) as const),
  { share: 0.02, fault: { kind: 'reset' } },
  { share: 0.02, fault: { kind: 'reset', after: true } },
  { share: 0.03, fault: { kind: 'delay', ms: SLOW_MS } },
];

const ws = new Workspace('ironic-faults');
let lab: IronicLab;
let proxy: FaultProxy;
let nodes: FakeNode[];
let config: string;

beforeAll(async () => {
  lab = await startIronic({ conductors: TWO_CONDUCTOR_GROUPS });
  nodes = await enrollFakeNodes(lab, AT_ONCE + 4, (i) => ({ resourceClass: RC, conductorGroup: i % 2 ? 'rack-b' : 'rack-a' }));
  proxy = await startFaultProxy(lab.url, { seed: 0x15 });
  config = ws.writeConfig('cpi.json', { agent: { mbus: 'nats://10.0.0.6:4222' }, backends: { metal: { type: 'ironic', ironic: { url: proxy.url } } } });
});
afterAll(async () => {
  await proxy?.stop();
  await lab?.stop();
  ws.cleanup();
});

/** How one call of a lifecycle ended: at the first try, after the director's retries, or not at all. */
type Outcome = 'ok' | 'retried' | 'failed';

interface Tally {
  calls: Record<string, Record<Outcome, number>>;
  /** Every failed try's error, with its method. */
  errors: { method: string; error: CpiErrorBody; log: string }[];
}

/** One call as the director makes it, repeated (the same request) while it fails, up to {@link TRIES}; its result and tries. */
async function directorCall(tally: Tally, method: string, args: unknown[]): Promise<{ result: unknown; tries: number }> {
  tally.calls[method] ??= { ok: 0, retried: 0, failed: 0 };
  const counts = tally.calls[method];
  for (let attempt = 1; attempt <= TRIES; attempt++) {
    const run = await runCpi(
      config,
      { method, arguments: args, context: { director_uuid: 'd', request_id: nextRequestId() }, api_version: 2 },
      { tmp: ws.path() },
    );
    const response = expectDirectorResponse(run);
    if (response.error === null) {
      counts[attempt === 1 ? 'ok' : 'retried']++;
      return { result: response.result, tries: attempt };
    }
    tally.errors.push({ method, error: response.error, log: describeRun(run) });
  }
  counts.failed++;
  throw new Error(`${method} failed ${TRIES} times; the last: ${JSON.stringify(tally.errors.at(-1)?.error)}`);
}

/**
 * Lifecycle `i` of the first seven meets an outage at its i-th call (one per method): the connections of what the
 * call asks first (the node of the VM, by `instance_uuid`; a disk's node) are reset as many
 * times as the client tries, so the call fails and the director's retry has to complete it. (A
 * 503 would not do: the client waits Ironic's back-pressure out within the call's budget.)
 */
function outage(pattern: string): () => void {
  const rule: FaultRule = { path: new RegExp(pattern), count: DEFAULT_RETRY.attempts, fault: { kind: 'reset' } };
  // Before the random faults, so that no slow answer (forwarded) ends the outage early.
  return proxy.add(rule, { first: true });
}

async function lifecycle(tally: Tally, i: number, outagesMet: string[]): Promise<void> {
  const agent = `agent-fault-${i}`;
  const byVm = `instance_uuid=${vmCidFor(agent)}`;
  const step = async (n: number, pattern: string, method: string, args: unknown[]) => {
    const end = i === n ? outage(pattern) : () => {};
    try {
      const { result, tries } = await directorCall(tally, method, args);
      if (i === n && tries > 1) outagesMet.push(method);
      return result;
    } finally {
      end();
    }
  };
  const [vm] = (await step(0, byVm, 'create_vm', [agent, STEMCELL, { resource_class: RC }, NETWORKS, [], {}])) as string[];
  await step(1, byVm, 'set_vm_metadata', [vm, { director: 'bosh', deployment: 'faults', job: 'worker', index: String(i) }]);
  const disk = (await step(2, byVm, 'create_disk', [1024, {}, vm])) as string;
  await step(3, byVm, 'attach_disk', [vm, disk]);
  await step(4, byVm, 'detach_disk', [vm, disk]);
  await step(5, `^/v1/nodes/${disk.slice('metal:'.length).split('.')[0]}`, 'delete_disk', [disk]);
  await step(6, byVm, 'delete_vm', [vm]);
}

describe('whole lifecycles under injected faults', () => {
  it(`${LIFECYCLES} lifecycles, ${AT_ONCE} at a time: every call completes or fails retryably, and no node is leaked`, async () => {
    for (const rule of RULES) proxy.add(rule);
    const tally: Tally = { calls: {}, errors: [] };
    const outagesMet: string[] = [];
    const failures = (
      await mapLimit(
        Array.from({ length: LIFECYCLES }, (_, i) => i),
        AT_ONCE,
        (i) => lifecycle(tally, i, outagesMet).catch((e: unknown) => e),
      )
    ).filter((e) => e !== undefined);
    const injected = proxy.injected();
    const requests = proxy.requests.length;

    console.log(report(injected, requests, tally));
    expect(failures.map(String)).toEqual([]);
    const calls = Object.values(tally.calls).reduce((sum, c) => sum + c.ok + c.retried + c.failed, 0);
    expect(calls).toBeGreaterThanOrEqual(200);
    for (const kind of ['status', 'locked', 'reset', 'reset after', 'delay']) expect(injected[kind] ?? 0, kind).toBeGreaterThan(0);
    // Each outage failed its call (every method met one), and the director's retry completed it.
    expect(outagesMet.sort()).toEqual(Object.keys(tally.calls).sort());
    // A failed try is one the director retries: create_vm's VMCreationFailed says ok_to_retry; the
    // others fail as a CloudError (which the director does not retry on its own, a re-run does).
    for (const { method, error, log } of tally.errors) {
      const expected = method === 'create_vm' ? { type: 'Bosh::Clouds::VMCreationFailed', ok_to_retry: true } : { type: 'Bosh::Clouds::CloudError' };
      expect(error, log).toMatchObject(expected);
    }

    // Nothing leaked: every node free, unclaimed, without BOSH records, locks or allocations.
    const leaks: string[] = [];
    for (const n of nodes) {
      const node = await api(lab, 'GET', `/v1/nodes/${n.uuid}`);
      const bosh = Object.keys(node.extra).filter((k) => k.startsWith('bosh_'));
      const locks = (node.traits as string[]).filter((t) => t.startsWith('CUSTOM_BOSH_LOCK_'));
      if (node.provision_state !== 'available' || node.instance_uuid !== null || bosh.length > 0 || locks.length > 0 || node.maintenance) {
        leaks.push(`${n.name}: ${node.provision_state}, instance_uuid ${node.instance_uuid}, extra ${bosh.join(',')}, traits ${locks.join(',')}`);
      }
    }
    expect(leaks).toEqual([]);
    expect((await api(lab, 'GET', '/v1/allocations')).allocations).toEqual([]);
  }, 900_000);
});

/** The table: faults by kind, then each method's calls by how they ended. */
function report(injected: Record<string, number>, requests: number, tally: Tally): string {
  const kinds: Record<string, string> = {
    status: '503 Service Unavailable',
    locked: '409 NodeLocked',
    reset: 'reset, request lost (with the outages)',
    'reset after': 'reset, answer lost',
    delay: `slow answer (${SLOW_MS} ms)`,
  };
  const lines = [`Ironic requests through the fault proxy: ${requests}`, '', `${'fault'.padEnd(40)}injected`];
  for (const [kind, label] of Object.entries(kinds)) lines.push(`${label.padEnd(40)}${String(injected[kind] ?? 0).padStart(8)}`);
  lines.push('', 'call              calls   ok first try   failed, retry ok   failed');
  let total = { ok: 0, retried: 0, failed: 0 };
  for (const [method, c] of Object.entries(tally.calls)) {
    total = { ok: total.ok + c.ok, retried: total.retried + c.retried, failed: total.failed + c.failed };
    lines.push(row(method, c));
  }
  lines.push(row('all', total), '', `failed tries: ${tally.errors.length}`);
  for (const { method, error } of tally.errors) lines.push(`  ${method}: ${error.type} (ok_to_retry ${error.ok_to_retry}): ${error.message.slice(0, 300)}`);
  return lines.join('\n');
}

function row(name: string, c: Record<Outcome, number>): string {
  const cells = [c.ok + c.retried + c.failed, c.ok, c.retried, c.failed];
  return name.padEnd(16) + [7, 15, 19, 9].map((width, i) => String(cells[i]).padStart(width)).join('');
}
