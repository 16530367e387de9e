// The composition root (packages/cli/src/compose.ts) as the CPI path uses it: a test registers a
// token again and every backend the call makes gets it. Here the Ironic HTTP dispatcher becomes
// undici's MockAgent answering as a small Ironic would, and create_vm and delete_vm run through
// serve() with every request to Ironic asserted.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { MockAgent } from 'undici';
import { spawn } from 'node:child_process';
import { compose } from '../../src/compose.js';
import { doctor } from '../../src/commands/doctor.js';
import { serve, serveDeps } from '../../src/serve.js';
import { TOKENS, basics } from '../../src/tokens.js';

const ORIGIN = 'http://ironic.test:6385';
const NODE = '6f4a1a8e-2d1c-4c55-9d0b-8f0e6c1d2a11';
const AGENT = 'agent-7';
const FAKE_CPI = path.resolve(import.meta.dirname, '../../../../test/fixtures/fake-cpi/fake-cpi.mjs');
const IMAGE = `raw:sha256:${'ab'.repeat(32)}:http://images.test/stemcell.raw`;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'composition-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const configFile = path.join(dir, 'cpi.json');
fs.writeFileSync(configFile, JSON.stringify({ log_level: 'warn', backends: { metal: { type: 'ironic', ironic: { url: ORIGIN }, claim: 'instance_uuid' } } }));

interface Seen {
  readonly method: string;
  readonly path: string;
  readonly microversion: string | undefined;
  readonly body: unknown;
}

/**
 * A MockAgent answering as an Ironic at API 1.82 with one free node: it records every request and
 * keeps the node's state between them, as the server does.
 */
function fakeIronic() {
  const agent = new MockAgent();
  agent.disableNetConnect();
  const seen: Seen[] = [];
  let node: Record<string, unknown> = {
    uuid: NODE,
    name: 'node-1',
    provision_state: 'available',
    power_state: 'power off',
    instance_uuid: null,
    maintenance: false,
    fault: null,
    retired: false,
    resource_class: 'bm.small',
    traits: [],
    properties: { memory_mb: 4096, cpus: 2, local_gb: 20, cpu_arch: 'x86_64' },
    extra: {},
    instance_info: {},
    conductor_group: '',
  };
  agent
    .get(ORIGIN)
    .intercept({ path: () => true, method: () => true })
    .reply((request) => {
      const headers = request.headers as Record<string, string>;
      const body = typeof request.body === 'string' ? JSON.parse(request.body) : undefined;
      seen.push({ method: request.method, path: request.path, microversion: headers['x-openstack-ironic-api-version'], body });
      const [pathname = ''] = request.path.split('?');
      const at = `${request.method} ${pathname}`;
      if (at === 'GET /') return { statusCode: 200, data: { default_version: { min_version: '1.1', version: '1.82' } } };
      if (at === 'GET /v1/nodes') {
        const instance = new URLSearchParams(request.path.split('?')[1]).get('instance_uuid');
        return { statusCode: 200, data: { nodes: instance === null || node['instance_uuid'] === instance ? [node] : [] } };
      }
      if (at === `GET /v1/nodes/${NODE}`) return { statusCode: 200, data: node };
      if (at === `PATCH /v1/nodes/${NODE}`) {
        node = patched(node, body as PatchOp[]);
        return { statusCode: 200, data: node };
      }
      if (at === `PUT /v1/nodes/${NODE}/states/provision`) {
        // Done at once: a deploy makes the node active; an undeploy (cleaning) frees it and drops its claim and image.
        node =
          (body as { target: string }).target === 'active'
            ? { ...node, provision_state: 'active', power_state: 'power on' }
            : { ...node, provision_state: 'available', power_state: 'power off', instance_uuid: null, instance_info: {} };
        return { statusCode: 202, data: '' };
      }
      const trait = new RegExp(`^(PUT|DELETE) /v1/nodes/${NODE}/traits/(\\w+)$`).exec(at);
      if (trait !== null) {
        const others = (node['traits'] as string[]).filter((t) => t !== trait[2]);
        node = { ...node, traits: trait[1] === 'PUT' ? [...others, trait[2]] : others };
        return { statusCode: 204, data: '' };
      }
      if (at === 'GET /v1/ports') return { statusCode: 200, data: { ports: [{ address: '52:54:00:00:00:01', pxe_enabled: true }] } };
      return { statusCode: 404, data: { error_message: JSON.stringify({ faultstring: `no ${at} here` }) } };
    })
    .persist();
  return { agent, seen };
}

type PatchOp = { op: 'add' | 'replace' | 'remove'; path: string; value?: unknown };

/** A JSON patch applied the way Ironic applies it, for the paths the CPI writes. */
function patched(node: Record<string, unknown>, ops: readonly PatchOp[]): Record<string, unknown> {
  const next = structuredClone(node);
  for (const op of ops) {
    const keys = op.path.slice(1).split('/');
    const last = keys.pop()!;
    let target = next;
    for (const key of keys) target = target[key] as Record<string, unknown>;
    if (op.op === 'remove') delete target[last];
    else target[last] = op.value;
  }
  return next;
}

let agents: MockAgent[] = [];
afterEach(async () => {
  await Promise.all(agents.map((a) => a.close()));
  agents = [];
});

/** The container as main() composes it, with the Ironic dispatcher replaced. */
function composed() {
  const ironic = fakeIronic();
  agents.push(ironic.agent);
  const container = compose(basics(new AbortController().signal));
  container.register(TOKENS.httpDispatcher, { useValue: ironic.agent });
  return { ...ironic, deps: serveDeps(container) };
}

const request = (method: string, args: unknown[]) =>
  JSON.stringify({ method, arguments: args, context: { director_uuid: 'd-1', request_id: 'r-1' }, api_version: 2 });

/** A request the fake Ironic saw, as expected: the node's path, and the microversion 1.52 unless told. */
const call = (method: string, path: string, body?: unknown, microversion = '1.52'): Seen => ({ method, path, microversion, body });
const NODE_PATH = `/v1/nodes/${NODE}`;
const LOCK = expect.stringMatching(new RegExp(`^${NODE_PATH}/traits/CUSTOM_BOSH_LOCK_\\d{13}_[0-9A-F]{8}_\\d+_[0-9A-F]{4}$`));
const SELECTION_FIELDS =
  'uuid,name,provision_state,power_state,maintenance,fault,instance_uuid,resource_class,conductor_group,properties,traits,extra,retired,retired_reason';

describe('the composition root with the Ironic dispatcher replaced', () => {
  it('create_vm then delete_vm reach Ironic through the MockAgent, each request as Ironic expects it', async () => {
    const { deps, seen } = composed();
    const networks = { default: { type: 'dynamic', cloud_properties: {} } };
    const created = await serve(configFile, request('create_vm', [AGENT, `metal:${IMAGE}`, { resource_class: 'bm.small' }, networks, [], {}]), deps);
    expect(created.error).toBeNull();
    const [proxyCid] = created.result as [string];
    expect(proxyCid).toMatch(/^metal:[0-9a-f-]{36}$/);
    const vm = proxyCid.slice('metal:'.length);
    const deploy = seen.find((s) => s.path.endsWith('/states/provision'))!.body as { configdrive: string };
    // The config drive: a gzipped ISO 9660 image (base64) whose agent settings name the agent.
    expect(zlib.gunzipSync(Buffer.from(deploy.configdrive, 'base64')).toString('latin1')).toContain(`"agent_id":"${AGENT}"`);
    expect(seen).toEqual([
      call('GET', `/v1/nodes?instance_uuid=${vm}&fields=uuid`),
      call('GET', '/'),
      call(
        'GET',
        '/v1/nodes?provision_state=available&associated=false&maintenance=false&resource_class=bm.small&limit=1000' +
          `&fields=${encodeURIComponent(SELECTION_FIELDS)}`,
        undefined,
        '1.61',
      ),
      call('PATCH', NODE_PATH, [{ op: 'add', path: '/instance_uuid', value: vm }]),
      call('GET', NODE_PATH),
      call('PATCH', NODE_PATH, [
        {
          op: 'add',
          path: '/extra/bosh_vm',
          value: {
            cid: vm,
            agent_id: AGENT,
            enrolled: false,
            devices: { system: '/dev/sda', ephemeral: '/dev/sdb' },
            // The provisioning throttle's mark: this create_vm holds a deploy slot.
            deploy_slot: { queued_at: expect.any(String), held: true, at: expect.any(String) },
          },
        },
        {
          op: 'add',
          path: '/instance_info',
          value: {
            image_source: 'http://images.test/stemcell.raw',
            image_disk_format: 'raw',
            image_type: 'whole-disk',
            image_os_hash_algo: 'sha256',
            image_os_hash_value: 'ab'.repeat(32),
            root_gb: 20,
          },
        },
      ]),
      call('GET', `/v1/ports?node_uuid=${NODE}&fields=${encodeURIComponent('address,physical_network,pxe_enabled')}`),
      // The throttle counts the deploys in flight in the node's conductor group: none but its own.
      call(
        'GET',
        '/v1/nodes?associated=true&conductor_group=&sort_key=provision_state&sort_dir=desc&limit=1000' +
          `&fields=${encodeURIComponent('uuid,provision_state,extra')}`,
      ),
      call('PUT', `${NODE_PATH}/states/provision`, { target: 'active', configdrive: deploy.configdrive }),
      call('GET', NODE_PATH),
    ]);

    seen.length = 0;
    const deleted = await serve(configFile, request('delete_vm', [proxyCid]), deps);
    expect(deleted).toMatchObject({ result: null, error: null });
    expect(seen).toEqual([
      call('GET', `/v1/nodes?instance_uuid=${vm}&fields=uuid`),
      // Under the node's lock: the CPI's record goes, and the undeploy (which drops the claim) starts.
      call('PUT', LOCK),
      call('GET', NODE_PATH),
      call('PATCH', NODE_PATH, [{ op: 'remove', path: '/extra/bosh_vm' }]),
      call('DELETE', LOCK),
      call('PUT', `${NODE_PATH}/states/provision`, { target: 'deleted' }),
      call('GET', NODE_PATH),
    ]);
    // The same lock trait was taken and given back.
    expect(seen[1]!.path).toBe(seen[4]!.path);
  });
});

describe('an operator command with the seams replaced', () => {
  it('doctor reaches Ironic through the MockAgent and runs the delegate through the replaced spawn', async () => {
    const { agent, seen } = fakeIronic();
    agents.push(agent);
    const container = compose(basics(new AbortController().signal));
    container.register(TOKENS.httpDispatcher, { useValue: agent });
    // Every process the delegate starts runs the fixture CPI instead, and is recorded.
    const spawned: string[][] = [];
    const state = fs.mkdtempSync(path.join(dir, 'fake-cpi-'));
    container.register(TOKENS.spawn, {
      useValue: ((file: string, args: readonly string[], options: object) => {
        spawned.push([file, ...args]);
        return spawn(process.execPath, [FAKE_CPI, '--state', state, '--api-version', '2', '--formats', 'vsphere-ova'], options);
      }) as typeof spawn,
    });
    const file = path.join(dir, 'doctor.json');
    const vms = { type: 'delegate', command: ['/bin/true', '--cpi'], stemcell_formats: ['vsphere-ova'], api_version: 2 };
    fs.writeFileSync(file, JSON.stringify({ default_backend: 'vms', backends: { metal: { type: 'ironic', ironic: { url: ORIGIN } }, vms } }));
    let out = '';
    const code = await doctor.run(['--config', file, '--json'], { out: (text) => (out += text), err: (text) => (out += text), terminal: false }, container);
    const report = JSON.parse(out) as { checks: { subject: string; status: string; text: string }[] };
    expect(report.checks.filter((c) => c.status !== 'ok')).toEqual([]);
    expect(code).toBe(0);
    expect(report.checks.map((c) => `${c.subject}: ${c.text}`)).toEqual(
      expect.arrayContaining([
        `metal: Ironic at ${ORIGIN} answers`,
        'metal: no node is parked for persistent disks',
        'vms: command /bin/true is executable',
        'vms: info answers api_version 2, stemcell_formats vsphere-ova',
      ]),
    );
    expect(seen.map((s) => `${s.method} ${s.path.split('?')[0]}`)).toEqual(['GET /', 'GET /v1/nodes', 'GET /', 'GET /v1/nodes']);
    expect(spawned).toEqual([['/bin/true', '--cpi']]);
  });
});
