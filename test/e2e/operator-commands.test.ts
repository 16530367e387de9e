// The operator commands (validate, explain, nodes) of the built executable against one real Ironic
// on loopback, with golden output under test/e2e/golden/. The pool is built once, partly through
// CPI calls (a VM with metadata, a disk reservation), and every command must leave it unchanged.
//
// Regenerate the golden files with `npx vitest run --project e2e test/e2e/operator-commands.test.ts -u`
// and review the diff: they are the commands' documented output.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.js';
import { startIronic, type IronicLab } from '../support/ironic-lab.js';
import { LOCAL_DISKS, api, enrollFakeNode, type FakeNode } from '../support/ironic-nodes.js';
import { Workspace, describeRun, expectDirectorResponse, runCpi, type CpiRun } from './helpers/cpi.js';

const ws = new Workspace('operator');
const STEMCELL = `metal:qcow2:sha256:${'a'.repeat(64)}:http://127.0.0.1:9/stemcell.qcow2`;
const SECRET = 'operator-secret-5f3a9c';
const GOLDEN = (name: string) => `./golden/${name}`;

let lab: IronicLab;
let configFile: string;
let cloudConfig: string;
const pool: Record<string, FakeNode> = {};

function writeConfig(name: string, ironicUrl: string): string {
  return ws.writeConfig(name, {
    default_backend: 'metal',
    agent: { mbus: 'nats://10.0.0.6:4222' },
    backends: {
      metal: { type: 'ironic', claim: 'instance_uuid', ironic: { url: ironicUrl, auth: { type: 'noauth' } } },
      vms: { type: 'delegate', command: ['/bin/false'], stemcell_formats: ['vsphere-ova'] },
    },
  });
}

const CLOUD_CONFIG = `
azs:
- name: z1
  cloud_properties: {}
vm_types:
- name: small
  cloud_properties: {resource_class: general}
- name: large
  cloud_properties:
    resource_class: general
    ironic_properties: {memory_mb: 65536, cpus: 16}
- name: vm-small
  cloud_properties: {backend: vms, cpu: 2, ram: 4096}
disk_types:
- name: local
  disk_size: 10240
  cloud_properties: {resource_class: general}
- name: vm-disk
  disk_size: 10240
  cloud_properties: {backend: vms}
networks:
- name: default
  type: manual
  subnets: [{range: 10.0.0.0/24, gateway: 10.0.0.1, az: z1, cloud_properties: {}}]
`;

const BAD_CLOUD_CONFIG = `
vm_types:
- name: gpu
  cloud_properties: {resource_class: general, traits: [CUSTOM_GPU]}
- name: lost
  cloud_properties: {backend: nowhere}
- name: small
  cloud_properties: {resource_class: general}
disk_types: []
`;

/** Types the nodes' devices decide: a disk nothing holds, one too big, and an ephemeral disk no node has. */
const DEVICES_CLOUD_CONFIG = `
vm_types:
- name: small
  cloud_properties: {resource_class: general}
- name: nvme-ephemeral
  cloud_properties: {resource_class: general, ephemeral_disk: {path: /dev/nvme0n1}}
disk_types:
- name: local
  disk_size: 10240
  cloud_properties: {resource_class: general}
- name: metal-nvme
  disk_size: 1500000
  cloud_properties: {persistent_disk: {name: /dev/nvme1n1}}
- name: too-big
  disk_size: 2000000
  cloud_properties: {nodes: [free-1]}
`;

/** Runs `hybrid-cpi ARGS...` in the director's bare environment. */
function hybridCpi(...argv: string[]): Promise<CpiRun> {
  return runCpi('', '', { tmp: ws.dir, argv });
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/**
 * The variable parts of an output, replaced by same-length placeholders numbered in order of
 * appearance (so tables keep their alignment): UUIDs, disk ids, loopback ports, the temp dir.
 */
function normalise(text: string): string {
  const ids = new Map<string, string>();
  const placeholder = (id: string, width: number) => {
    if (!ids.has(id)) ids.set(id, String(ids.size + 1).padStart(width, '0'));
    return ids.get(id)!;
  };
  return text
    .replaceAll(ws.dir, '<tmp>')
    .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:<port>')
    .replace(UUID, (uuid) => `00000000-0000-0000-0000-${placeholder(uuid, 12)}`)
    .replace(/(?<=-0000-[0-9]{12}\.)[0-9a-f]{12}\b|\b[0-9a-f]{12}(?= \/dev\/)/g, (id) => `d${placeholder(id, 11)}`)
    .replace(/\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/g, '2000-01-01T00:00:00Z');
}

/** Asserts the exit code and the stream that must stay empty; returns the normalised report. */
function report(run: CpiRun, exitCode: number, stream: 'stdout' | 'stderr' = 'stdout'): string {
  expect(run.exitCode, describeRun(run)).toBe(exitCode);
  expect(run[stream === 'stdout' ? 'stderr' : 'stdout'], describeRun(run)).toBe('');
  expect(run.stdout + run.stderr).not.toContain(SECRET);
  expect(run.stdout + run.stderr).not.toMatch(/\n\s+at /); // no stack trace
  return normalise(run[stream]);
}

/** What a dry run must never change: claims, bookkeeping, states, maintenance, allocations. */
async function poolState(): Promise<unknown> {
  const { nodes } = await api(lab, 'GET', '/v1/nodes/detail');
  const { allocations } = await api(lab, 'GET', '/v1/allocations');
  return {
    nodes: nodes.map((n: Record<string, unknown>) => [n['uuid'], n['instance_uuid'], n['provision_state'], n['maintenance'], n['extra'], n['name']]).sort(),
    allocations,
  };
}

beforeAll(async () => {
  lab = await startIronic();
  const general = (name: string, extra: Partial<Parameters<typeof enrollFakeNode>[1]> = {}) =>
    enrollFakeNode(lab, { name, resourceClass: 'general', macs: [`52:54:00:00:00:${(Object.keys(pool).length + 1).toString(16).padStart(2, '0')}`], ...extra });
  pool['free-1'] = await general('free-1');
  pool['big-1'] = await general('big-1', { properties: { memory_mb: 65536, cpus: 32, local_gb: 900, cpu_arch: 'x86_64', disks: LOCAL_DISKS } });
  pool['vm-1'] = await general('vm-1');
  pool['disk-1'] = await general('disk-1');
  pool['maint-1'] = await general('maint-1');
  pool['manage-1'] = await general('manage-1', { stopAt: 'manageable' });
  await api(lab, 'PUT', `/v1/nodes/${pool['maint-1'].uuid}/maintenance`, { reason: 'DIMM B2 reports ECC errors' });

  configFile = writeConfig('cpi.json', lab.url);
  cloudConfig = ws.writeConfig('cloud-config.yml', CLOUD_CONFIG);
  const call = async (method: string, args: unknown[]) => {
    const response = expectDirectorResponse(
      await runCpi(configFile, { method, arguments: args, context: { director_uuid: 'd' }, api_version: 2 }, { tmp: ws.dir }),
    );
    expect(response.error, `${method}: ${JSON.stringify(response.error)}`).toBeNull();
    return response.result;
  };
  // A VM through the CPI, with the director's metadata: the node shows its deployment and job.
  const [vmCid] = (await call('create_vm', [
    'agent-router-0',
    STEMCELL,
    { nodes: ['vm-1'] },
    { default: { type: 'dynamic', cloud_properties: {} } },
    [],
    {},
  ])) as string[];
  await call('set_vm_metadata', [vmCid, { director: 'bosh', deployment: 'cf', job: 'router', index: '0', id: 'c0ffee', name: 'router/c0ffee' }]);
  // A VM with a disk, deleted: its node stays parked for the disk (deployed, off, claimed).
  const [dbCid] = (await call('create_vm', [
    'agent-db-0',
    STEMCELL,
    { nodes: ['disk-1'] },
    { default: { type: 'dynamic', cloud_properties: {} } },
    [],
    {},
  ])) as string[];
  await call('set_vm_metadata', [dbCid, { director: 'bosh', deployment: 'cf', job: 'db', index: '0', id: 'd0d0', name: 'db/d0d0' }]);
  await call('create_disk', [10240, { persistent_disk: '/dev/sdd' }, dbCid]);
  await call('delete_vm', [dbCid]);
});

afterAll(async () => {
  await lab?.stop();
  ws.cleanup();
});

describe('validate', () => {
  it('a good config and cloud-config: every type routed, Ironic types with the nodes that can take them', async () => {
    const before = await poolState();
    const out = report(await hybridCpi('validate', '--config', configFile, '--cloud-config', cloudConfig), 0);
    await expect(out).toMatchFileSnapshot(GOLDEN('validate-good.txt'));
    expect(out).toContain('large in z1: metal (ironic): matched by 1 node, 1 free now');
    expect(await poolState()).toEqual(before);
  });

  it('the config alone: valid, and no network needed', async () => {
    const out = report(await hybridCpi('validate', '--config', writeConfig('offline.json', `http://127.0.0.1:${await freePort()}`)), 0);
    await expect(out).toMatchFileSnapshot(GOLDEN('validate-config-only.txt'));
  });

  it('a bad config: every problem with its key path, exit 1, no secret', async () => {
    const bad = ws.writeConfig(
      'bad.yml',
      [
        'default_backend: metl',
        'backends:',
        '  metal:',
        '    type: ironic',
        '    claim: sometimes',
        '    ironic:',
        `      auth: {type: http_basic, username: cpi, password: ${SECRET}}`,
        '  vms:',
        '    type: delegate',
        '    command: []',
        '',
      ].join('\n'),
    );
    const out = report(await hybridCpi('validate', '--config', bad, '--cloud-config', cloudConfig), 1);
    await expect(out).toMatchFileSnapshot(GOLDEN('validate-bad-config.txt'));
    expect(out).toContain('backends.metal.ironic.url: is required');
  });

  it('a vm_type no node can satisfy and one that routes nowhere are findings, with the reasons per node', async () => {
    const out = report(await hybridCpi('validate', '--config', configFile, '--cloud-config', ws.writeConfig('bad-cloud.yml', BAD_CLOUD_CONFIG)), 1);
    await expect(out).toMatchFileSnapshot(GOLDEN('validate-unsatisfiable.txt'));
    expect(out).toMatch(/gpu: metal \(ironic\): no node can satisfy it\n( {4}.*: lacks the traits CUSTOM_GPU\n){6}/);
    expect(out).toContain('2 findings.');
  });

  it("a disk_type no node's devices can hold and a vm_type whose ephemeral disk no node has are findings, in create_disk's own words", async () => {
    const before = await poolState();
    const run = await hybridCpi('validate', '--config', configFile, '--cloud-config', ws.writeConfig('devices.yml', DEVICES_CLOUD_CONFIG));
    const out = report(run, 1);
    await expect(out).toMatchFileSnapshot(GOLDEN('validate-devices.txt'));
    expect(out).toContain('metal-nvme: metal (ironic): matched by 6 nodes, 2 free now, but no node has a device that can hold it');
    expect(out).toContain('3 findings.');
    expect(await poolState()).toEqual(before);
    // create_disk itself on node free-1 refuses both disks with the words validate printed for that node.
    for (const [size, props] of [
      [1500000, { persistent_disk: { name: '/dev/nvme1n1' }, nodes: ['free-1'] }],
      [2000000, { nodes: ['free-1'] }],
    ] as const) {
      const response = expectDirectorResponse(
        await runCpi(configFile, { method: 'create_disk', arguments: [size, props, null], context: { director_uuid: 'd' }, api_version: 2 }, { tmp: ws.dir }),
      );
      expect(response.error?.message).toMatch(/^Creating a \d+ MiB disk on node free-1: no device can take it \(/);
      expect(run.stdout).toContain(`    free-1 (${pool['free-1']!.uuid}): ${response.error!.message}\n`);
    }
  });

  it('--json: the same report as one JSON object, findings and reasons included', async () => {
    const run = await hybridCpi('validate', '--config', configFile, '--cloud-config', ws.writeConfig('devices.yml', DEVICES_CLOUD_CONFIG), '--json');
    const out = report(run, 1);
    await expect(out).toMatchFileSnapshot(GOLDEN('validate-devices.json'));
    const parsed = JSON.parse(run.stdout) as {
      findings: number;
      disk_types: { name: string; finding: boolean; nodes: { usable: number; rejected: { name: string; reason: string }[] } }[];
    };
    expect(parsed.findings).toBe(3);
    expect(Object.fromEntries(parsed.disk_types.map((t) => [t.name, [t.finding, t.nodes.usable]]))).toEqual({
      local: [false, 6],
      'metal-nvme': [true, 0],
      'too-big': [true, 0],
    });
    expect(parsed.disk_types[1]!.nodes.rejected[0]!.reason).toMatch(/no device can take it \(.*does not match the persistent_disk hint/);
  });

  it('an Ironic that cannot be reached is a finding, not a stack trace', async () => {
    const closed = writeConfig('unreachable.json', `http://127.0.0.1:${await freePort()}`);
    const out = report(await hybridCpi('validate', '--config', closed, '--cloud-config', cloudConfig), 1);
    await expect(out).toMatchFileSnapshot(GOLDEN('validate-unreachable.txt'));
    expect(out).toContain('cannot reach Ironic');
  });
});

describe('explain', () => {
  it('a vm_type one node fits: that node, and why not each other node', async () => {
    const before = await poolState();
    const out = report(await hybridCpi('explain', '--config', configFile, '--cloud-config', cloudConfig, '--vm-type', 'large'), 0);
    await expect(out).toMatchFileSnapshot(GOLDEN('explain-fits.txt'));
    expect(out).toMatch(/^would take: big-1 \(/m);
    expect(out).toMatch(/^ {2}maint-1 \(.*\): in maintenance$/m);
    expect(out).toMatch(/^ {2}free-1 \(.*\): memory_mb is 8192, less than 65536$/m);
    expect(await poolState()).toEqual(before);
  });

  it('--json: the same as one JSON object', async () => {
    const run = await hybridCpi('explain', '--config', configFile, '--cloud-config', cloudConfig, '--vm-type', 'large', '--json');
    const out = report(run, 0);
    await expect(out).toMatchFileSnapshot(GOLDEN('explain-fits.json'));
    expect(JSON.parse(run.stdout)).toMatchObject({ vm_type: 'large', az: 'z1', backend: 'metal', fits: true, would_take: { name: 'big-1' } });
  });

  it('several fitting nodes: one would be taken, the others are listed as fitting too', async () => {
    const out = report(await hybridCpi('explain', '--config', configFile, '--cloud-config', cloudConfig, '--vm-type', 'small', '--az', 'z1'), 0);
    await expect(out).toMatchFileSnapshot(GOLDEN('explain-several.txt'));
  });

  it('a vm_type nothing fits: exit 1, every node with its reason', async () => {
    const out = report(
      await hybridCpi('explain', '--config', configFile, '--cloud-config', ws.writeConfig('bad-cloud.yml', BAD_CLOUD_CONFIG), '--vm-type', 'gpu'),
      1,
    );
    await expect(out).toMatchFileSnapshot(GOLDEN('explain-nothing-fits.txt'));
    expect(out).toContain('would take: nothing');
  });

  it('a vm_type of the delegate backend: its route, and no node choice', async () => {
    const out = report(await hybridCpi('explain', '--config', configFile, '--cloud-config', cloudConfig, '--vm-type', 'vm-small'), 0);
    expect(out).toBe('vm_type vm-small in AZ z1 -> backend vms (delegate)\nNode choice is made by the Ironic backends only; backend vms chooses for itself.\n');
  });
});

describe('nodes', () => {
  it('a table: free, in use by a VM with its metadata, reserved for a disk, quarantined, unavailable', async () => {
    const before = await poolState();
    const out = report(await hybridCpi('nodes', '--config', configFile), 0);
    await expect(out).toMatchFileSnapshot(GOLDEN('nodes.txt'));
    const line = (name: string) => out.split('\n').find((l) => l.startsWith(`metal    ${name} `)) ?? '';
    expect(line('free-1')).toMatch(/ free /);
    expect(line('vm-1')).toMatch(/ active +power (on|off) +vm +agent-router-0 +cf +router\/0 /);
    expect(line('disk-1')).toMatch(/ active +power off +parked .* \/dev\/sdd 10240M +waits for cf db\/0 \(last VM .*\) since 2000-01-01T00:00:00Z$/);
    expect(line('maint-1')).toMatch(/ quarantined .* maintenance: DIMM B2 reports ECC errors$/);
    expect(line('manage-1')).toMatch(/ manageable .* unavailable /);
    expect(await poolState()).toEqual(before);
  });

  it('--json: the same, with the CIDs the director knows', async () => {
    const run = await hybridCpi('nodes', '--config', configFile, '--backend', 'metal', '--json');
    const out = report(run, 0);
    await expect(out).toMatchFileSnapshot(GOLDEN('nodes.json'));
    const { nodes, errors } = JSON.parse(run.stdout) as {
      nodes: { name: string; status: string; vm: { cid: string; job: string } | null; disks: { cid: string }[] }[];
      errors: unknown[];
    };
    expect(errors).toEqual([]);
    expect(Object.fromEntries(nodes.map((n) => [n.name, n.status]))).toEqual({
      'big-1': 'free',
      'disk-1': 'parked',
      'free-1': 'free',
      'maint-1': 'quarantined',
      'manage-1': 'unavailable',
      'vm-1': 'vm',
    });
    const vm = nodes.find((n) => n.name === 'vm-1')!.vm!;
    expect(vm.cid).toMatch(/^metal:/);
    expect(vm.job).toBe('router');
    expect(nodes.find((n) => n.name === 'disk-1')!.disks[0]!.cid).toMatch(new RegExp(`^metal:${pool['disk-1']!.uuid}\\.[0-9a-f]{12}$`));
  });

  it('an Ironic that cannot be reached: exit 1 and a clear message', async () => {
    const closed = writeConfig('unreachable-nodes.json', `http://127.0.0.1:${await freePort()}`);
    const out = report(await hybridCpi('nodes', '--config', closed), 1);
    expect(out).toMatch(/^backend metal: Listing the Ironic nodes: cannot reach Ironic at http:\/\/127\.0\.0\.1:<port> after 2 attempts: connect ECONNREFUSED/);
  });
});

describe('--help and usage errors', () => {
  for (const command of ['validate', 'explain', 'nodes']) {
    it(`${command} --help`, async () => {
      const out = report(await hybridCpi(command, '--help'), 0);
      await expect(out).toMatchFileSnapshot(GOLDEN(`${command}-help.txt`));
    });
  }

  it('usage errors exit 2 with a clear message on stderr', async () => {
    const cases = [
      ['validate'],
      ['validate', '--config'],
      ['validate', '--config', 'cpi.json', 'extra'],
      ['explain', '--config', 'cpi.json', '--cloud-config', 'cloud-config.yml'],
      ['explain', '--config', 'cpi.json', '--cloud-config', 'cloud-config.yml', '--vm-type', 'huge'],
      ['explain', '--config', 'cpi.json', '--cloud-config', 'bad-az.yml', '--vm-type', 'small'],
      ['nodes', '--config', 'cpi.json', '--verbose'],
      ['nodes', '--config', 'cpi.json', '--backend', 'vms'],
    ];
    ws.writeConfig('bad-az.yml', 'azs: [{name: z1}, {name: z2}]\nvm_types: [{name: small}]\n');
    const transcript: string[] = [];
    for (const argv of cases) {
      const run = await hybridCpi(...argv.map((a) => (a.includes('.') ? ws.path(a) : a)));
      transcript.push(`$ hybrid-cpi ${argv.join(' ')}\n${report(run, 2, 'stderr')}`);
    }
    await expect(transcript.join('\n')).toMatchFileSnapshot(GOLDEN('usage-errors.txt'));
  });
});
