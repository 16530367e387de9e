// Local persistent disks through the built executable, against a real Ironic whose fake deploys
// and power changes take a second (so that a kill can land inside them): create_disk processes
// at once on one node, and delete_vm, create_vm with disk_cids and delete_disk killed with SIGKILL
// at random moments, each followed by the director's retry, while a watcher polls the node.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIronic, type IronicLab } from '../support/ironic-lab.js';
import { api, enrollFakeNode, type FakeNode } from '../support/ironic-nodes.js';
import { invariantBreaks, statesSeen, watchNode } from '../support/node-watch.js';
import { vmCidFor } from '../../packages/backend-ironic/src/node/vm-cid.js';
import { Workspace, describeRun, expectDirectorResponse, runCpi, type CpiResponse, type CpiRun } from './helpers/cpi.js';

const STEMCELL = `metal:qcow2:sha256:${'a'.repeat(64)}:http://127.0.0.1:9/stemcell.qcow2`;
const NETWORKS = { default: { type: 'dynamic', cloud_properties: {} } };
const GiB = 2 ** 30;
const ws = new Workspace('ironic-disks');
let lab: IronicLab;
let config: string;

beforeAll(async () => {
  lab = await startIronic({ deployDelay: 1, powerDelay: 1 });
  config = ws.writeConfig('cpi.json', { agent: { mbus: 'nats://10.0.0.6:4222' }, backends: { metal: { type: 'ironic', ironic: { url: lab.url } } } });
});
afterAll(async () => {
  await lab?.stop();
  ws.cleanup();
});

/** One CPI call as the director makes it; killed with SIGKILL after `killAfterMs` when given. */
function cpi(method: string, args: unknown[], killAfterMs?: number): Promise<CpiRun> {
  return runCpi(
    config,
    { method, arguments: args, context: { director_uuid: 'd', request_id: `cpi-${method}` }, api_version: 2 },
    { tmp: ws.path(), ...(killAfterMs === undefined ? {} : { timeoutMs: killAfterMs }) },
  );
}

async function ok(method: string, args: unknown[]): Promise<unknown> {
  const run = await cpi(method, args);
  const response = expectDirectorResponse(run);
  expect(response.error, `${method}\n${describeRun(run)}`).toBeNull();
  return response.result;
}

/** A node with `data` free devices for persistent disks (besides the root and ephemeral ones). */
function withDevices(data: number) {
  const disks = [
    { name: '/dev/sda', size: 240 * GiB },
    { name: '/dev/sdb', size: 480 * GiB },
  ];
  for (let i = 0; i < data; i++) disks.push({ name: `/dev/sd${String.fromCharCode(99 + i)}`, size: (100 + i) * GiB });
  return enrollFakeNode(lab, { resourceClass: 'disks', properties: { memory_mb: 8192, cpus: 4, local_gb: 100, cpu_arch: 'x86_64', disks } });
}

const node = (n: FakeNode) => api(lab, 'GET', `/v1/nodes/${n.uuid}`);
const lockTraits = async (n: FakeNode) => ((await node(n)).traits as string[]).filter((t) => t.startsWith('CUSTOM_BOSH_LOCK_'));

describe('create_disk processes at once on one node', () => {
  it('10 at once with 12 free devices: 10 disks on 10 distinct devices, every record in extra', async () => {
    const host = await withDevices(12);
    const [vm] = (await ok('create_vm', ['agent-concurrent', STEMCELL, { nodes: [host.name] }, NETWORKS, [], {}])) as string[];
    const runs = await Promise.all(Array.from({ length: 10 }, () => cpi('create_disk', [1024, {}, vm])));
    const cids = runs
      .map((r) => expectDirectorResponse(r))
      .map((r, i) => {
        expect(r.error, describeRun(runs[i]!)).toBeNull();
        return (r.result as string).slice('metal:'.length);
      });
    const records = (await node(host)).extra.bosh_disks as Record<string, { device: string }>;
    expect(Object.keys(records).sort()).toEqual(cids.map((c) => c.split('.')[1]).sort());
    expect(new Set(Object.values(records).map((d) => d.device)).size).toBe(10);
    expect(await lockTraits(host)).toEqual([]);
  });

  it('6 at once with 4 free devices: 4 disks, 2 clear NoDiskSpace errors, exactly the 4 records', async () => {
    const host = await withDevices(4);
    const [vm] = (await ok('create_vm', ['agent-crowded', STEMCELL, { nodes: [host.name] }, NETWORKS, [], {}])) as string[];
    const responses = (await Promise.all(Array.from({ length: 6 }, () => cpi('create_disk', [1024, {}, vm])))).map(expectDirectorResponse);
    const created = responses.filter((r) => r.error === null).map((r) => (r.result as string).split('.')[1]);
    const refused = responses.filter((r) => r.error !== null).map((r) => r.error!);
    expect(created).toHaveLength(4);
    expect(refused.map((e) => e.type)).toEqual(Array(2).fill('Bosh::Clouds::NoDiskSpace'));
    for (const e of refused) expect(e.message).toMatch(/no device can take it \(.*\/dev\/sdc: backs another persistent disk/);
    const records = (await node(host)).extra.bosh_disks as Record<string, { device: string }>;
    expect(Object.keys(records).sort()).toEqual(created.sort());
    expect(new Set(Object.values(records).map((d) => d.device))).toEqual(new Set(['/dev/sdc', '/dev/sdd', '/dev/sde', '/dev/sdf']));
  });
});

describe('delete_vm, create_vm with disk_cids and delete_disk killed at random moments', () => {
  it('each followed by the retry: the node stays claimed, uncleaned and deployed only for the instance; it ends back in the pool, wiped', async () => {
    let seed = 0x51ed;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const kills: Record<string, { runs: number; killed: number }> = {};
    const stderr: Record<string, string> = {};
    /** Runs a call killed after a random moment in [20, maxMs], then the director's retry; returns the retry's answer. */
    const killThenRetry = async (method: string, args: unknown[], maxMs: number): Promise<CpiResponse> => {
      const killed = await cpi(method, args, 20 + Math.floor(random() * maxMs));
      const tally = kills[method] ?? { runs: 0, killed: 0 };
      kills[method] = tally;
      tally.runs++;
      if (killed.signal === 'SIGKILL') tally.killed++;
      else expect(expectDirectorResponse(killed).error, describeRun(killed)).toBeNull();
      const retry = await cpi(method, args);
      stderr[method] = `${stderr[method] ?? ''}${killed.stderr}${retry.stderr}`;
      const response = expectDirectorResponse(retry);
      expect(response.error, `${method} retried after ${killed.signal ?? 'exit'} at ${Math.round(killed.ms)} ms\n${describeRun(retry)}`).toBeNull();
      return response;
    };
    const host = await enrollFakeNode(lab, { resourceClass: 'killed' });
    const cleanings = () =>
      fs
        .readFileSync(path.join(lab.dir, 'ironic.log'), 'utf8')
        .split('\n')
        .filter((l) => l.includes(host.uuid) && l.includes('Executing automated cleaning')).length;

    for (let round = 0; round < 3; round++) {
      let [vm] = (await ok('create_vm', [`agent-${round}-0`, STEMCELL, { nodes: [host.name] }, NETWORKS, [], {}])) as string[];
      await ok('set_vm_metadata', [vm, { director: 'bosh', deployment: 'cf', job: 'db', index: String(round) }]);
      const disks = [(await ok('create_disk', [1024, {}, vm])) as string, (await ok('create_disk', [2048, {}, vm])) as string];
      await ok('attach_disk', [vm, disks[0]]);
      const watch = watchNode(lab, host.uuid);
      for (let recreate = 1; recreate <= 2; recreate++) {
        await killThenRetry('delete_vm', [vm], 1500);
        expect(await node(host)).toMatchObject({
          provision_state: 'active',
          power_state: 'power off',
          extra: { bosh_parked: { vm: vm!.slice('metal:'.length) } },
        });
        const agent = `agent-${round}-${recreate}`;
        const created = await killThenRetry('create_vm', [agent, STEMCELL, { nodes: [host.name] }, NETWORKS, disks, {}], 3500);
        vm = (created.result as string[])[0]!;
        expect(vm).toBe(`metal:${host.uuid}.${vmCidFor(agent)}`);
        expect(await node(host)).toMatchObject({
          provision_state: 'active',
          power_state: 'power on',
          extra: { bosh_vm: { cid: vm.slice('metal:'.length), agent_id: agent } },
        });
        // A stale attachment left by a killed delete_vm does not stand in the way.
        expect(await ok('attach_disk', [vm, disks[0]])).toEqual({ path: '/dev/disk/by-path/pci-0000:00:1f.2-ata-4' });
        await ok('set_vm_metadata', [vm, { director: 'bosh', deployment: 'cf', job: 'db', index: String(round) }]);
      }
      await killThenRetry('delete_vm', [vm], 1500);
      await killThenRetry('delete_disk', [disks[0]], 500);
      expect(await node(host)).toMatchObject({ provision_state: 'active', extra: { bosh_wipe: ['/dev/sdd'] } });
      const samples = await watch.stop();
      expect(invariantBreaks(samples)).toEqual([]);
      expect(statesSeen(samples).filter((s) => !['active', 'deploying'].includes(s))).toEqual([]);
      const before = cleanings();
      await killThenRetry('delete_disk', [disks[1]], 2000);
      expect(await node(host)).toMatchObject({ provision_state: 'available', instance_uuid: null, automated_clean: null, extra: {} });
      expect(cleanings()).toBeGreaterThan(before);
      expect(await lockTraits(host)).toEqual([]);
    }
    // A recreate says what it does and how the waits go, as a deploy does.
    expect(stderr['delete_vm']).toMatch(/"msg":"powering the node off; it stays deployed and claimed for its disks"/);
    expect(stderr['delete_vm']).toMatch(/"state":"power on","elapsed_s":\d+,"msg":"powering off"/);
    expect(stderr['delete_vm']).toMatch(/"msg":"node parked for its disks"/);
    expect(stderr['create_vm']).toMatch(/"msg":"rebuilding the node in place with the new stemcell and config drive"/);
    expect(stderr['create_vm']).toMatch(/"state":"deploying","elapsed_s":\d+,"msg":"rebuilding"/);
    expect(stderr['create_vm']).toMatch(/"msg":"node is active"/);
    expect(stderr['delete_disk']).toMatch(/"msg":"undeploying the node; its cleaning wipes the deleted disks"/);
    // The kills must land inside the calls, not after they answered.
    for (const [method, tally] of Object.entries(kills))
      expect(tally.killed, `${method}: ${JSON.stringify(tally)}`).toBeGreaterThanOrEqual(Math.ceil(tally.runs / 2));
    expect(Object.values(kills).reduce((n, t) => n + t.runs, 0)).toBeGreaterThanOrEqual(20);
  }, 600_000);
});
