// Failure domains, through the built executable and a real Ironic: 6 nodes in 3 racks (their
// `properties.rack`); the instances of one group spread over the racks, and `explain --group`
// shows the counts create_vm chooses by.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIronic, type IronicLab } from '../support/ironic-lab.js';
import { api, enrollFakeNodes, type FakeNode } from '../support/ironic-nodes.js';
import { Cpi, DIRECTOR_UUID, Workspace, describeRun, expectDirectorResponse, nextRequestId, runCpi } from './helpers/cpi.js';

const ws = new Workspace('failure-domains');
const STEMCELL = `metal:qcow2:sha256:${'a'.repeat(64)}:http://127.0.0.1:9/stemcell.qcow2`;
const NETWORKS = { default: { type: 'dynamic', cloud_properties: {} } };
let lab: IronicLab;
let racked: FakeNode[];

beforeAll(async () => {
  lab = await startIronic();
  racked = await enrollFakeNodes(lab, 6, (i) => ({
    name: `racked-${i}`,
    resourceClass: 'racked',
    properties: { memory_mb: 8192, cpus: 4, local_gb: 100, cpu_arch: 'x86_64', rack: `r${(i % 3) + 1}` },
  }));
});

afterAll(async () => {
  await lab?.stop();
  ws.cleanup();
});

describe('failure domains: 6 nodes in 3 racks (properties.rack)', () => {
  let cpi: Cpi;
  let configFile: string;
  const GROUP = 'bosh-dep-web';
  const env = { bosh: { group: GROUP, groups: ['bosh', 'dep', 'web', 'bosh-dep', 'dep-web', GROUP] } };
  const rackOf = async (cid: string) => {
    const [node] = (await api(lab, 'GET', `/v1/nodes?instance_uuid=${cid.slice('metal:'.length)}&fields=uuid,properties,extra`)).nodes;
    expect(node.extra.bosh_vm).toMatchObject({ group: GROUP, domain: node.properties.rack });
    return node.properties.rack as string;
  };
  const create = async (i: number) =>
    rackOf((await cpi.ok<string[]>('create_vm', [`agent-web-${i}`, STEMCELL, { resource_class: 'racked' }, NETWORKS, [], env], { apiVersion: 2 }))[0]!);

  beforeAll(() => {
    configFile = ws.writeConfig('racks.json', {
      agent: { mbus: 'nats://10.0.0.6:4222' },
      backends: { metal: { type: 'ironic', ironic: { url: lab.url }, failure_domain: { property: 'rack' } } },
    });
    cpi = new Cpi(configFile, ws.dir);
  });

  it('3 create_vm of one instance group land in 3 racks; a fourth goes to a rack with one; the last two fill the others', async () => {
    const first = [await create(0), await create(1), await create(2)];
    expect([...first].sort()).toEqual(['r1', 'r2', 'r3']);
    const fourth = await create(3);
    expect(first).toContain(fourth);
    const fifth = await create(4);
    expect(fifth).not.toBe(fourth);
    const sixth = await create(5);
    expect([fourth, fifth, sixth].sort()).toEqual(['r1', 'r2', 'r3']);
  });

  it('explain --group prints the counts create_vm chooses by', async () => {
    const cloudConfig = ws.writeConfig('cloud-config.yml', 'vm_types:\n- name: web\n  cloud_properties: {resource_class: racked}\n');
    // Free one node of r2: that rack then has one instance of the group and one fitting node.
    const r2 = racked.filter((_, i) => i % 3 === 1).map((n) => n.uuid);
    const [victim] = (await api(lab, 'GET', `/v1/nodes?resource_class=racked&fields=uuid,instance_uuid&limit=1000`)).nodes.filter(
      (n: { uuid: string }) => n.uuid === r2[0],
    );
    expectDirectorResponse(await runCpi(configFile, deleteVm(`metal:${victim.instance_uuid}`), { tmp: ws.dir }));
    const run = await runCpi('', '', {
      tmp: ws.dir,
      argv: ['explain', '--config', configFile, '--cloud-config', cloudConfig, '--vm-type', 'web', '--group', GROUP],
    });
    expect(run.exitCode, describeRun(run)).toBe(0);
    expect(run.stdout).toContain(
      `failure domains (node property rack) of the fitting nodes, by instances of group ${GROUP}:\n` +
        '  r2: 1 instance of the group, 1 fitting node <- tried first\n' +
        `would take: racked-${racked.findIndex((n) => n.uuid === r2[0])} (${r2[0]})\n`,
    );
    const json = await runCpi('', '', {
      tmp: ws.dir,
      argv: ['explain', '--config', configFile, '--cloud-config', cloudConfig, '--vm-type', 'web', '--group', GROUP, '--json'],
    });
    expect(JSON.parse(json.stdout).placement).toEqual({
      source: 'node property rack',
      group: GROUP,
      domains: [{ domain: 'r2', instances: 1, fitting: 1 }],
      unnamed: 0,
    });
  });
});

function deleteVm(cid: string) {
  return { method: 'delete_vm', arguments: [cid], context: { director_uuid: DIRECTOR_UUID, request_id: nextRequestId() }, api_version: 2 };
}
