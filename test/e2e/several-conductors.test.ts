// Placement on a lab with several conductors, through the built executable: Ironic as an API
// process and two conductor processes in two conductor groups (JSON-RPC on loopback, one shared
// database). An AZ per conductor group deploys only on its group's nodes, through that group's
// conductor; a backend limited to a shard never reads nor claims a node of another shard.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { globalRequestId } from '../../packages/backend-ironic/src/ironic/request-id.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { TWO_CONDUCTOR_GROUPS, startIronic, type IronicLab, type RunningConductor } from '../support/ironic-lab.js';
import { api, enrollFakeNodes, waitFor, type FakeNode } from '../support/ironic-nodes.js';
import { Workspace, describeRun, expectDirectorResponse, nextRequestId, runCpi, type CpiResponse } from './helpers/cpi.js';
import { runCommand } from './helpers/golden.js';

const STEMCELL = `metal:qcow2:sha256:${'a'.repeat(64)}:http://127.0.0.1:9/stemcell.qcow2`;
const NETWORKS = { default: { type: 'dynamic', cloud_properties: {} } };
const ws = new Workspace('several-conductors');
let lab: IronicLab;

beforeAll(async () => {
  lab = await startIronic({ conductors: TWO_CONDUCTOR_GROUPS });
});
afterAll(async () => {
  await lab?.stop();
  ws.cleanup();
});

function configFor(name: string, url: string, backend: Record<string, unknown> = {}): string {
  return ws.writeConfig(name, { agent: { mbus: 'nats://10.0.0.6:4222' }, backends: { metal: { type: 'ironic', ironic: { url }, ...backend } } });
}

/** One CPI call as the director makes it; returns its request id with the answer. */
async function cpi(config: string, method: string, args: unknown[]): Promise<{ requestId: string; response: CpiResponse; log: string }> {
  const requestId = nextRequestId();
  const run = await runCpi(config, { method, arguments: args, context: { director_uuid: 'd', request_id: requestId }, api_version: 2 }, { tmp: ws.path() });
  return { requestId, response: expectDirectorResponse(run), log: describeRun(run) };
}

async function nodeOfVm(vm: string): Promise<{ uuid: string; conductor: string; conductor_group: string }> {
  const { nodes } = await api(lab, 'GET', `/v1/nodes?instance_uuid=${vm.slice('metal:'.length)}&fields=uuid`);
  expect(nodes, `the node of ${vm}`).toHaveLength(1);
  // `conductor` is worked out per node, so Ironic has it for a node, not in a list.
  return api(lab, 'GET', `/v1/nodes/${nodes[0].uuid}?fields=uuid,conductor,conductor_group`);
}

const logOf = (conductor: RunningConductor) => fs.readFileSync(conductor.log, 'utf8').split('\n');

describe('an AZ per conductor group', () => {
  const rc = 'groups';
  const azs = { z1: { conductor_group: 'rack-a' }, z2: { conductor_group: 'rack-b' } } as const;
  let byGroup: Record<string, FakeNode[]>;
  let config: string;

  beforeAll(async () => {
    const nodes = await enrollFakeNodes(lab, 6, (i) => ({ resourceClass: rc, conductorGroup: i < 3 ? 'rack-a' : 'rack-b' }));
    byGroup = { 'rack-a': nodes.slice(0, 3), 'rack-b': nodes.slice(3) };
    config = configFor('groups.json', lab.url);
  });

  it("deploys each AZ's VMs only on its group's nodes, through the group's own conductor", async () => {
    const placements = [...Array(3).fill('z1'), ...Array(2).fill('z2')] as (keyof typeof azs)[];
    const created = await Promise.all(
      placements.map((az, i) => cpi(config, 'create_vm', [`agent-${az}-${i}`, STEMCELL, { resource_class: rc, ...azs[az] }, NETWORKS, [], {}])),
    );
    const vms: string[] = [];
    const used: string[] = [];
    for (const [i, { requestId, response, log }] of created.entries()) {
      expect(response.error, log).toBeNull();
      const vm = (response.result as string[])[0]!;
      vms.push(vm);
      const group = azs[placements[i]!].conductor_group;
      const conductor = lab.conductors.find((c) => c.group === group)!;
      const other = lab.conductors.find((c) => c.group !== group)!;
      const node = await nodeOfVm(vm);
      used.push(node.uuid);
      expect(node.conductor_group).toBe(group);
      expect(byGroup[group]!.map((n) => n.uuid)).toContain(node.uuid);
      // Ironic says which conductor manages the node, and that conductor's own log shows it ran
      // this create_vm's deploy (the call's request id is Ironic's global request id).
      expect(node.conductor).toBe(conductor.host);
      expect(logOf(conductor).some((l) => l.includes(`Deploying on node ${node.uuid}`) && l.includes(globalRequestId(requestId)!))).toBe(true);
      // Any conductor may work an allocation; only the node's own changes its state.
      expect(logOf(conductor).some((l) => l.includes(`Node ${node.uuid} moved to provision state "active"`))).toBe(true);
      expect(logOf(other).filter((l) => l.includes(node.uuid) && !l.includes('ironic.conductor.allocations'))).toEqual([]);
    }

    // rack-a is full; rack-b's free node is not taken for z1.
    const refused = await cpi(config, 'create_vm', ['agent-z1-full', STEMCELL, { resource_class: rc, ...azs.z1 }, NETWORKS, [], {}]);
    expect(refused.response.error, refused.log).toMatchObject({ type: 'Bosh::Clouds::VMCreationFailed', ok_to_retry: false });
    const freeB = byGroup['rack-b']!.find((n) => !used.includes(n.uuid))!;
    expect((await api(lab, 'GET', `/v1/nodes/${freeB.uuid}`)).provision_state).toBe('available');
    expect(refused.response.error!.message).toContain(`${freeB.name} (${freeB.uuid}): conductor_group is 'rack-b', not 'rack-a'`);

    for (const vm of vms) expect((await cpi(config, 'delete_vm', [vm])).response.error).toBeNull();
    for (const n of [...byGroup['rack-a']!, ...byGroup['rack-b']!]) {
      expect(await waitFor(lab, n.uuid, 'available')).toMatchObject({ instance_uuid: null });
    }
  });
});

describe('a backend limited to a shard', () => {
  const rc = 'sharded';
  let proxy: FaultProxy;
  let ours: FakeNode[];
  let theirs: FakeNode[];
  let config: string;

  beforeAll(async () => {
    // Ours in both conductor groups; theirs in another shard and in none, with the same resource class.
    ours = await enrollFakeNodes(lab, 3, (i) => ({ resourceClass: rc, shard: 'bosh-a', conductorGroup: i % 2 ? 'rack-b' : 'rack-a' }));
    theirs = [
      ...(await enrollFakeNodes(lab, 3, (i) => ({ resourceClass: rc, shard: 'bosh-b', conductorGroup: i % 2 ? 'rack-b' : 'rack-a' }))),
      ...(await enrollFakeNodes(lab, 1, () => ({ resourceClass: rc, conductorGroup: 'rack-a' }))),
    ];
    proxy = await startFaultProxy(lab.url);
    config = configFor('shard.json', proxy.url, { shard: 'bosh-a' });
  });
  afterAll(async () => proxy?.stop());

  it('lists, claims and deploys only its own nodes; the operator commands see only those; nothing of another shard is read or changed', async () => {
    const created = await Promise.all([0, 1, 2].map((i) => cpi(config, 'create_vm', [`agent-shard-${i}`, STEMCELL, { resource_class: rc }, NETWORKS, [], {}])));
    const vms = created.map(({ response, log }) => {
      expect(response.error, log).toBeNull();
      return (response.result as string[])[0]!;
    });
    expect((await Promise.all(vms.map(nodeOfVm))).map((n) => n.uuid).sort()).toEqual(ours.map((n) => n.uuid).sort());
    expect((await cpi(config, 'set_vm_metadata', [vms[0], { deployment: 'cf', job: 'api', index: '0' }])).response.error).toBeNull();
    expect((await cpi(config, 'has_vm', [vms[0]])).response.result).toBe(true);

    // Its shard is full, though the other shard and the unsharded node are free.
    const full = await cpi(config, 'create_vm', ['agent-shard-full', STEMCELL, { resource_class: rc }, NETWORKS, [], {}]);
    expect(full.response.error, full.log).toMatchObject({ type: 'Bosh::Clouds::VMCreationFailed', ok_to_retry: false });
    for (const n of ours) expect(full.response.error!.message).toContain(n.uuid);

    const nodes = await runCommand(['nodes', '--config', config, '--json'], ws.path());
    expect(nodes.exitCode, nodes.stderr).toBe(0);
    expect((JSON.parse(nodes.stdout).nodes as { uuid: string }[]).map((n) => n.uuid).sort()).toEqual(ours.map((n) => n.uuid).sort());
    const doctor = await runCommand(['doctor', '--config', config], ws.path());
    expect(doctor.stdout).toMatch(/ok +metal +shard 'bosh-a' has 3 nodes: the backend lists, claims and enrolls only those/);
    const typo = await runCommand(['doctor', '--config', configFor('typo.json', lab.url, { shard: 'bosh-aa' })], ws.path());
    expect(typo.exitCode).toBe(1);
    expect(typo.stdout).toMatch(
      /problem +metal +no node of Ironic is in shard 'bosh-aa'; did you mean `bosh-a`\? -> fix: set the shard of this backend's nodes/,
    );

    for (const vm of vms) expect((await cpi(config, 'delete_vm', [vm])).response.error).toBeNull();
    for (const n of ours) await waitFor(lab, n.uuid, 'available');
    // A MAC of another shard's node is no MAC this backend knows: its own free nodes are refused for it.
    const mac = await cpi(config, 'create_vm', ['agent-shard-mac', STEMCELL, { macs: [theirs[0]!.macs[0]] }, NETWORKS, [], {}]);
    expect(mac.response.error!.message).toContain(`${ours[0]!.uuid}): has no port with one of the MACs ${theirs[0]!.macs[0]}`);

    // What Ironic was asked: every listing of nodes or ports carried the shard; no request named,
    // and no body held, a node of another shard.
    const foreign = theirs.flatMap((n) => [n.uuid, n.name]);
    const requests = proxy.requests.filter((r) => r.path.startsWith('/v1/'));
    expect(requests.length).toBeGreaterThan(30);
    const listings = requests.filter((r) => r.method === 'GET' && /^\/v1\/(nodes|nodes\/detail|ports|ports\/detail)(\?|$)/.test(r.path));
    const unscoped = listings.filter((r) => !new URL(r.path, 'http://x').searchParams.has('node_uuid'));
    expect(unscoped.length).toBeGreaterThan(10);
    expect(unscoped.filter((r) => new URL(r.path, 'http://x').searchParams.get('shard') !== 'bosh-a').map((r) => r.path)).toEqual([]);
    expect(requests.filter((r) => foreign.some((id) => r.path.includes(id) || JSON.stringify(r.body ?? null).includes(id))).map((r) => r.path)).toEqual([]);
    // And their nodes are as they were: free, unclaimed, nothing written.
    for (const n of theirs) {
      expect(await api(lab, 'GET', `/v1/nodes/${n.uuid}?fields=provision_state,instance_uuid,extra`)).toMatchObject({
        provision_state: 'available',
        instance_uuid: null,
        extra: {},
      });
    }
  });
});
