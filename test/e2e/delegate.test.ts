// The delegate backend through the built binary: a `memory` backend `metal` and a delegate
// backend `vms` that runs the fixture CPI (test/fixtures/fake-cpi) as the director would run a
// real one. Every call lands in the backend its cloud_properties or CID name; the fixture receives
// exactly the bytes the director sent apart from the CIDs and the API-version rules; and every
// way the delegate can fail gives the director a clear response and leaves no process behind.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cpi,
  DIRECTOR_UUID,
  Director,
  REPO_ROOT,
  Workspace,
  describeRun,
  expectDirectorResponse,
  nextRequestId,
  readMemoryState,
  runCpi,
  type CpiRequest,
} from './helpers/cpi.js';
import { manualNetworks } from '../fixtures/director-networks.js';

const FAKE_CPI = path.join(REPO_ROOT, 'test/fixtures/fake-cpi/fake-cpi.mjs');

const ws = new Workspace('delegate');
afterAll(() => ws.cleanup());

/** The fixture's state directory: its resources, the requests it received, its misbehaviour. */
class Fixture {
  constructor(readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true });
  }

  calls(): { pid: number; env: Record<string, string>; stdin: string }[] {
    const file = path.join(this.dir, 'calls.jsonl');
    if (!fs.existsSync(file)) return [];
    return fs
      .readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
  }

  lastCall() {
    const call = this.calls().at(-1);
    if (call === undefined) throw new Error(`the fixture in ${this.dir} received no call`);
    return call;
  }

  has(kind: 'stemcells' | 'vms' | 'disks' | 'snapshots' | 'networks', cid: string): boolean {
    return fs.existsSync(path.join(this.dir, kind, `${encodeURIComponent(cid)}.json`));
  }

  record(kind: 'stemcells' | 'vms' | 'disks' | 'snapshots' | 'networks', cid: string): Record<string, unknown> {
    return JSON.parse(fs.readFileSync(path.join(this.dir, kind, `${encodeURIComponent(cid)}.json`), 'utf8'));
  }

  control(control: Record<string, unknown> | undefined): void {
    const file = path.join(this.dir, 'control.json');
    if (control === undefined) fs.rmSync(file, { force: true });
    else fs.writeFileSync(file, JSON.stringify(control));
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The native part of a prefixed CID. */
const native = (cid: string) => cid.slice(cid.indexOf(':') + 1);

const CONTEXT_ADDITIONS = { datacenters: [{ name: 'dc1', clusters: [{ c1: {} }] }], password: 'context-secret-4242' };
const ENV_ADDITIONS = { VSPHERE_PASSWORD: 'env-secret-7373', BOSH_JOBS_DIR: '/var/vcap/jobs' };
const SECRETS = ['context-secret-4242', 'env-secret-7373'];

/**
 * What the fixture must have received for `request`: the same JSON with the native CIDs, the
 * configured context keys added, and api_version capped at the delegate's.
 */
function forwarded(request: CpiRequest, nativeArgs: unknown[], delegateApiVersion = 2): string {
  return JSON.stringify({
    method: request.method,
    arguments: nativeArgs,
    context: { ...request.context, ...CONTEXT_ADDITIONS },
    ...(request.api_version === undefined ? {} : { api_version: Math.min(request.api_version, delegateApiVersion) }),
  });
}

const OPENSTACK_QCOW2 = {
  name: 'bosh-openstack-kvm-ubuntu-jammy-go_agent',
  version: '1.500',
  infrastructure: 'openstack',
  hypervisor: 'kvm',
  disk_format: 'qcow2',
};
const VSPHERE_OVF = {
  name: 'bosh-vsphere-esxi-ubuntu-jammy-go_agent',
  version: '1.500',
  infrastructure: 'vsphere',
  hypervisor: 'esxi',
  disk_format: 'ovf',
  os_type: 'linux',
};
const NETWORKS = manualNetworks({ name: 'VM Network' });
const ENV = { bosh: { group: 'dir-dep-web', groups: ['dir', 'dep'], mbus: { cert: { ca: 'CA', certificate: 'CERT', private_key: 'KEY-SECRET-99' } } } };
const VM_CID = (backend: string) => new RegExp(`^${backend}:vm-[0-9a-f-]{36}$`);

function delegateSection(dir: string, extra: Record<string, unknown> = {}) {
  // The shebang runs it with the director's PATH, as a real CPI's bin/cpi runs.
  return {
    type: 'delegate',
    command: [FAKE_CPI, '--state', dir],
    stemcell_formats: ['vsphere-ova', 'vsphere-ovf'],
    api_version: 2,
    context: CONTEXT_ADDITIONS,
    env: ENV_ADDITIONS,
    ...extra,
  };
}

describe('a hybrid lifecycle: metal (memory) and vms (the delegate), vms also the legacy backend', () => {
  const metalState = ws.path('metal.json');
  const fixture = new Fixture(ws.path('vms'));
  let director: Director;
  let cpi: Cpi;
  const image = ws.image('image');
  const ids = { metalStemcell: '', vmsStemcell: '', metalVm: '', vmsVm: '', disk: '', snapshot: '', network: '' };

  beforeAll(() => {
    const config = ws.writeConfig('hybrid.json', {
      default_backend: 'metal',
      legacy_backend: 'vms',
      backends: { metal: { type: 'memory', stemcell_formats: ['openstack-qcow2'], state_file: metalState }, vms: delegateSection(fixture.dir) },
    });
    director = new Director(config, ws.dir);
    cpi = new Cpi(config, ws.dir);
  });

  afterAll(() => {
    // No call left a fixture process running.
    for (const { pid } of fixture.calls()) expect(processExists(pid), `fixture process ${pid}`).toBe(false);
  });

  it('create_stemcell of an OpenStack stemcell goes to metal only; the fixture hears nothing', async () => {
    ids.metalStemcell = await director.ok<string>('create_stemcell', [image, OPENSTACK_QCOW2]);
    expect(ids.metalStemcell).toMatch(/^metal:sc-/);
    expect(fixture.calls()).toEqual([]);
  });

  it('create_stemcell of a vSphere stemcell goes to vms, as sent', async () => {
    const { response, request } = await director.call('create_stemcell', [image, VSPHERE_OVF]);
    ids.vmsStemcell = response.result as string;
    expect(ids.vmsStemcell).toMatch(/^vms:sc-/);
    expect(fixture.lastCall().stdin).toBe(forwarded(request, [image, VSPHERE_OVF]));
    expect(fixture.record('stemcells', native(ids.vmsStemcell))).toEqual({ image_path: image, cloud_properties: VSPHERE_OVF });
  });

  it('a v3 create_stemcell reaches the v2 delegate as v2, without its tags argument', async () => {
    const { response, request } = await cpi.call('create_stemcell', [image, VSPHERE_OVF, { tags: { team: 'a' } }], { apiVersion: 3 });
    expect(response.error).toBeNull();
    expect(fixture.lastCall().stdin).toBe(forwarded(request, [image, VSPHERE_OVF]));
    expect(JSON.parse(fixture.lastCall().stdin).api_version).toBe(2);
    await cpi.ok('delete_stemcell', [response.result], { apiVersion: 3 });
    expect(fixture.has('stemcells', native(response.result as string))).toBe(false);
  });

  it('create_vm with cloud_properties.backend vms reaches the fixture with the native stemcell CID and nothing else changed', async () => {
    const context = { director_uuid: DIRECTOR_UUID, request_id: nextRequestId(), vm: { stemcell: { api_version: 3 } }, cpi_config_key: 'from cpi-config' };
    const props = { backend: 'vms', cpu: 2, ram: 4096, disk: 10240, datastores: ['ds1'] };
    const { response, request } = await director.call('create_vm', ['agent-vms', ids.vmsStemcell, props, NETWORKS, [], ENV], { context });
    const [cid, networks] = response.result as [string, unknown];
    ids.vmsVm = cid;
    expect(cid).toMatch(VM_CID('vms'));
    expect(networks).toEqual(NETWORKS);
    expect(fixture.lastCall().stdin).toBe(forwarded(request, ['agent-vms', native(ids.vmsStemcell), props, NETWORKS, [], ENV]));
    expect(fixture.record('vms', native(cid))).toMatchObject({ agent_id: 'agent-vms', stemcell: native(ids.vmsStemcell) });
  });

  it("the director's own bytes reach the delegate (spacing, `1.0`, escapes, 16 MiB) but for the CIDs, api_version and context additions", async () => {
    const blob = `caf\\u00e9 \\/ ${'x'.repeat(16 * 1024 * 1024)}`;
    const requestId = nextRequestId();
    const text = (stemcell: string, disk: string, version: string, additions: string) =>
      `{ "method" : "create_vm",\n  "arguments" : [ "agent-bytes" , "${stemcell}",{"backend":"vms","cpu":1.0,"ram":4096.0,"ratio":2.50},\n` +
      `${JSON.stringify(NETWORKS)} , [ "${disk}" ] ,\t{"bosh":{"blob":"${blob}"}} ] ,\r\n  "context" : {"director_uuid":"${DIRECTOR_UUID}", ` +
      `"request_id":"${requestId}"${additions}} ,  "api_version" : ${version} }\n`;
    const disk = await director.ok<string>('create_disk', [1024, {}, ids.vmsVm]);
    const run = await runCpi(cpi.configFile, text(ids.vmsStemcell, disk, '3', ''), { tmp: ws.dir, timeoutMs: 120_000 });
    const response = expectDirectorResponse(run);
    expect(response.error, describeRun(run)).toBeNull();
    const additions = Object.entries(CONTEXT_ADDITIONS).map(([k, v]) => `,${JSON.stringify(k)}:${JSON.stringify(v)}`);
    const expected = text(native(ids.vmsStemcell), native(disk), '2', additions.join(''));
    // Not toBe: a failure would print 16 MiB twice.
    expect(fixture.lastCall().stdin === expected, 'the delegate read the bytes the director sent, but for the CIDs, api_version and the additions').toBe(true);
    await director.ok('delete_vm', [(response.result as [string])[0]]);
    await director.ok('delete_disk', [disk]);
  });

  it('create_vm without cloud_properties.backend goes to metal', async () => {
    const calls = fixture.calls().length;
    const [cid] = await director.ok<[string, unknown]>('create_vm', ['agent-metal', ids.metalStemcell, {}, NETWORKS, [], {}]);
    ids.metalVm = cid;
    expect(cid).toMatch(VM_CID('metal'));
    expect(Object.keys(readMemoryState(metalState).vms)).toEqual([native(cid)]);
    expect(fixture.calls().length).toBe(calls);
  });

  it('a vSphere stemcell on a metal vm_type is refused before the delegate is asked', async () => {
    const calls = fixture.calls().length;
    await director.fails('Bosh::Clouds::CloudError', 'create_vm', ['agent-x', ids.vmsStemcell, {}, NETWORKS, [], {}]);
    expect(fixture.calls().length).toBe(calls);
  });

  it("calls by VM CID go to the VM's backend", async () => {
    const { response, request } = await director.call('has_vm', [ids.vmsVm]);
    expect(response.result).toBe(true);
    expect(fixture.lastCall().stdin).toBe(forwarded(request, [native(ids.vmsVm)]));

    const metadata = { director: 'dir', deployment: 'dep', job: 'web', index: '0', id: 'e8a9-…', name: 'web/e8a9', created_at: '2025-01-01T00:00:00Z' };
    const set = await director.call('set_vm_metadata', [ids.vmsVm, metadata]);
    expect(fixture.lastCall().stdin).toBe(forwarded(set.request, [native(ids.vmsVm), metadata]));
    expect(fixture.record('vms', native(ids.vmsVm))['metadata']).toEqual(metadata);

    const reboot = await director.call('reboot_vm', [ids.vmsVm]);
    expect(fixture.lastCall().stdin).toBe(forwarded(reboot.request, [native(ids.vmsVm)]));
    expect(fixture.record('vms', native(ids.vmsVm))['reboots']).toBe(1);

    const calls = fixture.calls().length;
    expect(await director.ok('has_vm', [ids.metalVm])).toBe(true);
    expect(fixture.calls().length).toBe(calls);
  });

  it('create_disk next to a vms VM goes to vms; attach, metadata and get_disks follow the disk', async () => {
    const props = { type: 'thin', datastores: ['ds2'] };
    const created = await director.call('create_disk', [2048, props, ids.vmsVm]);
    ids.disk = created.response.result as string;
    expect(ids.disk).toMatch(/^vms:disk-/);
    expect(fixture.lastCall().stdin).toBe(forwarded(created.request, [2048, props, native(ids.vmsVm)]));

    const attach = await director.call('attach_disk', [ids.vmsVm, ids.disk]);
    expect(attach.response.result).toEqual({ path: expect.stringMatching(/^\/dev\/disk\/by-id\/virtio-/), volume_id: native(ids.disk) });
    expect(fixture.lastCall().stdin).toBe(forwarded(attach.request, [native(ids.vmsVm), native(ids.disk)]));

    const metadata = { director: 'dir', deployment: 'dep', instance_id: 'i-1', attached_at: '2025-01-01T00:00:00Z' };
    const set = await director.call('set_disk_metadata', [ids.disk, metadata]);
    expect(fixture.lastCall().stdin).toBe(forwarded(set.request, [native(ids.disk), metadata]));

    const disks = await director.call('get_disks', [ids.vmsVm]);
    expect(disks.response.result).toEqual([ids.disk]);
    expect(fixture.lastCall().stdin).toBe(forwarded(disks.request, [native(ids.vmsVm)]));
  });

  it('a metal VM and a vms disk are refused together, before any backend is asked', async () => {
    const calls = fixture.calls().length;
    await director.fails('Bosh::Clouds::CloudError', 'attach_disk', [ids.metalVm, ids.disk]);
    expect(fixture.calls().length).toBe(calls);
  });

  it('snapshots, resize and update of a vms disk', async () => {
    const snap = await director.call('snapshot_disk', [ids.disk, { deployment: 'dep', job: 'web', index: 0 }]);
    ids.snapshot = snap.response.result as string;
    expect(ids.snapshot).toMatch(/^vms:snap-/);
    expect(fixture.lastCall().stdin).toBe(forwarded(snap.request, [native(ids.disk), { deployment: 'dep', job: 'web', index: 0 }]));
    const del = await director.call('delete_snapshot', [ids.snapshot]);
    expect(fixture.lastCall().stdin).toBe(forwarded(del.request, [native(ids.snapshot)]));
    expect(fixture.has('snapshots', native(ids.snapshot))).toBe(false);

    await director.ok('detach_disk', [ids.vmsVm, ids.disk]);
    const resize = await director.call('resize_disk', [ids.disk, 4096]);
    expect(resize.response.error).toBeNull();
    expect(fixture.lastCall().stdin).toBe(forwarded(resize.request, [native(ids.disk), 4096]));
    const update = await director.call('update_disk', [ids.disk, 8192, { type: 'thick' }]);
    expect(update.response.result).toBeNull();
    expect(fixture.lastCall().stdin).toBe(forwarded(update.request, [native(ids.disk), 8192, { type: 'thick' }]));
    expect(fixture.record('disks', native(ids.disk))).toMatchObject({ size: 8192, cloud_properties: { type: 'thick' } });
  });

  it("a second detach is the delegate's DiskNotAttached, passed through", async () => {
    const error = await director.fails('Bosh::Clouds::DiskNotAttached', 'detach_disk', [ids.vmsVm, ids.disk]);
    expect(error).toEqual({
      type: 'Bosh::Clouds::DiskNotAttached',
      message: `Disk '${native(ids.disk)}' is not attached to VM '${native(ids.vmsVm)}'`,
      ok_to_retry: false,
    });
  });

  it('create_network with cloud_properties.backend vms, and delete_network by CID', async () => {
    const definition = { type: 'manual', range: '10.5.0.0/24', gateway: '10.5.0.1', cloud_properties: { backend: 'vms', name: 'net-a' } };
    const { response, request } = await director.call('create_network', [definition]);
    const [cid, spec, props] = response.result as [string, unknown, unknown];
    ids.network = cid;
    expect(cid).toMatch(/^vms:net-/);
    expect(spec).toEqual({ range: '10.5.0.0/24', gateway: '10.5.0.1', reserved: [] });
    expect(props).toEqual(definition.cloud_properties);
    expect(fixture.lastCall().stdin).toBe(forwarded(request, [definition]));
    await director.ok('delete_network', [ids.network]);
    expect(fixture.has('networks', native(ids.network))).toBe(false);
    await director.fails('Bosh::Clouds::NetworkNotFound', 'delete_network', [ids.network]);
  });

  it('unprefixed CIDs go to the legacy backend, the delegate, unchanged', async () => {
    fs.mkdirSync(path.join(fixture.dir, 'vms'), { recursive: true });
    fs.writeFileSync(path.join(fixture.dir, 'vms', 'vm-from-before.json'), JSON.stringify({ agent_id: 'old', disks: [], metadata: {}, reboots: 0 }));
    const has = await director.call('has_vm', ['vm-from-before']);
    expect(has.response.result).toBe(true);
    expect(fixture.lastCall().stdin).toBe(forwarded(has.request, ['vm-from-before']));
    const hasDisk = await director.call('has_disk', ['disk-from-before']);
    expect(hasDisk.response.result).toBe(false);
    expect(fixture.lastCall().stdin).toBe(forwarded(hasDisk.request, ['disk-from-before']));
    const current = await director.call('current_vm_id', []);
    expect(current.response.result).toMatch(/^vms:vm-/);
    expect(fixture.lastCall().stdin).toBe(forwarded(current.request, []));
    await director.ok('delete_vm', ['vm-from-before']);
    expect(fixture.has('vms', 'vm-from-before')).toBe(false);
  });

  it('a request without api_version reaches the delegate without one (v1 shapes back)', async () => {
    const { response, request } = await cpi.call('create_vm', ['agent-v1', ids.vmsStemcell, { backend: 'vms' }, NETWORKS, null, null]);
    expect(response.result).toMatch(VM_CID('vms'));
    expect(fixture.lastCall().stdin).toBe(forwarded(request, ['agent-v1', native(ids.vmsStemcell), { backend: 'vms' }, NETWORKS, null, null]));
    expect(Object.hasOwn(JSON.parse(fixture.lastCall().stdin), 'api_version')).toBe(false);
    await cpi.ok('delete_vm', [response.result]);
  });

  it("the delegate's environment is PATH, TMPDIR and HOME of the director plus the configured additions", () => {
    expect(fixture.lastCall().env).toEqual({ PATH: '/usr/sbin:/usr/bin:/sbin:/bin', TMPDIR: ws.dir, HOME: ws.dir, ...ENV_ADDITIONS });
  });

  it("clean-up: delete_disk, delete_vm and delete_stemcell reach their backends; a missing VM is the delegate's VMNotFound", async () => {
    const del = await director.call('delete_disk', [ids.disk]);
    expect(fixture.lastCall().stdin).toBe(forwarded(del.request, [native(ids.disk)]));
    await director.ok('delete_vm', [ids.vmsVm]);
    await director.ok('delete_vm', [ids.metalVm]);
    expect(readMemoryState(metalState).vms).toEqual({});
    await director.fails('Bosh::Clouds::VMNotFound', 'delete_vm', [ids.vmsVm]);
    await director.ok('delete_stemcell', [ids.vmsStemcell]);
    await director.ok('delete_stemcell', [ids.metalStemcell]);
    expect(fs.readdirSync(path.join(fixture.dir, 'vms'))).toEqual([]);
    expect(fs.readdirSync(path.join(fixture.dir, 'stemcells'))).toEqual([]);
  });
});

describe('delegate failures: a clear response, and no process left behind', () => {
  const fixture = new Fixture(ws.path('failing'));
  let cpi: Cpi;
  let config = '';

  beforeAll(() => {
    config = ws.writeConfig('failing.json', { backends: { vms: delegateSection(fixture.dir, { timeout_seconds: 1 }) } });
    cpi = new Cpi(config, ws.dir);
  });

  const call = async (control: Record<string, unknown> | undefined, through = cpi) => {
    fixture.control(control);
    const result = await through.call('has_vm', ['vms:vm-1'], { apiVersion: 2 });
    const { pid } = fixture.lastCall();
    expect(processExists(pid), `fixture process ${pid} after ${JSON.stringify(control)}`).toBe(false);
    for (const secret of SECRETS) {
      expect(result.run.stdout).not.toContain(secret);
      expect(result.run.stderr).not.toContain(secret);
    }
    return result;
  };

  it('a known error type passes through with ok_to_retry', async () => {
    const { response } = await call({ mode: 'error', error: { type: 'Bosh::Clouds::DiskNotFound', message: 'no disk', ok_to_retry: true } });
    expect(response.error).toEqual({ type: 'Bosh::Clouds::DiskNotFound', message: 'no disk', ok_to_retry: true });
  });

  it('an unknown error type is a CloudError naming it', async () => {
    const { response } = await call({ mode: 'error', error: { type: 'Unknown', message: 'undefined method', ok_to_retry: false } });
    expect(response.error).toEqual({ type: 'Bosh::Clouds::CloudError', message: 'Unknown: undefined method', ok_to_retry: false });
  });

  it('a non-zero exit with a valid response is a success', async () => {
    const { response } = await call({ mode: 'exit', exit_code: 4 });
    expect(response).toMatchObject({ result: false, error: null });
  });

  const broken: [string, Record<string, unknown>, RegExp][] = [
    [
      'garbage',
      { mode: 'garbage' },
      /^has_vm in backend 'vms' \(delegate CPI .*fake-cpi\.mjs\): no valid response: its stdout \(\d+ characters\) is not one JSON document$/,
    ],
    ['nothing', { mode: 'nothing' }, /: no valid response: it wrote nothing to stdout$/],
    ['a crash', { mode: 'crash', exit_code: 2 }, /: no valid response: it wrote nothing to stdout \(the CPI process exited with status 2\)$/],
    ['a response without log', { mode: 'raw', stdout: '{"result":true,"error":null}' }, /: no valid response: its response lacks 'log'$/],
    [
      'a hang past timeout_seconds',
      { mode: 'hang' },
      /: no answer within timeout_seconds \(1 s\); the CPI process was stopped \(the CPI process ended by SIGTERM\)$/,
    ],
  ];
  it.each(broken)('%s is a CloudError that says what happened', async (_name, control, message) => {
    const { response, run } = await call(control);
    expect(response.error?.type, describeRun(run)).toBe('Bosh::Clouds::CloudError');
    expect(response.error?.message).toMatch(message);
    expect(response.log).toMatch(/^has_vm → vms: failed with Bosh::Clouds::CloudError/);
  });

  it("a flood of stderr is relayed line by line with the backend's name, at the speed of the pipe, and the response still read", async () => {
    const untimed = new Cpi(ws.writeConfig('untimed.json', { backends: { vms: delegateSection(fixture.dir) } }), ws.dir);
    const { response, run } = await call({ mode: 'flood', stderr_bytes: 10 * 1024 * 1024, line_bytes: 100 }, untimed);
    expect(response).toMatchObject({ result: false, error: null });
    // About 2 s here; a non-blocking stderr made each full pipe a 100 ms sleep (about 30 s).
    expect(run.ms).toBeLessThan(15_000);
    const relayed = run.stderr.split('\n').filter((line) => line.includes('"delegate_stderr":"xxx'));
    expect(relayed.length).toBeGreaterThanOrEqual((10 * 1024 * 1024) / 100 - 1);
    expect(JSON.parse(relayed[0]!)).toMatchObject({ level: 'info', backend: 'vms', method: 'has_vm', delegate_stderr: 'x'.repeat(99) });
    expect(response.log).toMatch(/^fake-cpi handled has_vm\nhas_vm → vms: ok \(\d+ ms\)\n$/);
  }, 60_000);

  it("the delegate's own log reaches the response log verbatim at any log_level, after a failure too, and the next call's stderr starts anew", async () => {
    const quiet = new Cpi(ws.writeConfig('quiet.json', { log_level: 'silent', backends: { vms: delegateSection(fixture.dir) } }), ws.dir);
    // A Ruby CPI's debug log, as bosh-cpi-ruby's logger buffers it.
    const rubyLog =
      'D, [2026-12-01T10:00:00.000001 #4242] DEBUG -- : Fog request\n  with "quotes" and \\ back-slashes\nI, [2026-12-01T10:00:01 #4242]  INFO -- : done';
    const ok = await call({ log: rubyLog }, quiet);
    expect(ok.run.stderr).toBe('');
    expect(ok.response.log.slice(0, rubyLog.length + 1)).toBe(`${rubyLog}\n`);
    expect(ok.response.log.slice(rubyLog.length + 1)).toMatch(/^has_vm → vms: ok \(\d+ ms\)\n$/);
    const failed = await call(
      { mode: 'error', log: rubyLog, error: { type: 'Bosh::Clouds::CloudError', message: 'vCenter said no', ok_to_retry: false } },
      quiet,
    );
    expect(failed.response.log).toMatch(/^D, \[2026[\s\S]*INFO -- : done\nhas_vm → vms: failed with Bosh::Clouds::CloudError \(\d+ ms\)\n$/);
  });

  it('a command that does not exist is a CloudError naming it', async () => {
    const missing = ws.writeConfig('missing.json', {
      backends: { vms: { type: 'delegate', command: ['/var/vcap/jobs/nothing/bin/cpi'], stemcell_formats: ['vsphere-ovf'] } },
    });
    const run = await runCpi(missing, new Cpi(missing, ws.dir).request('has_vm', ['vms:vm-1'], { apiVersion: 2 }), { tmp: ws.dir });
    const response = expectDirectorResponse(run);
    expect(response.error?.type).toBe('Bosh::Clouds::CloudError');
    expect(response.error?.message).toMatch(/^has_vm in backend 'vms' \(delegate CPI \/var\/vcap\/jobs\/nothing\/bin\/cpi\): could not run it: .*ENOENT/);
  });

  it('a delegate that speaks 1 gets api_version 1, and the director still gets v2 shapes', async () => {
    const v1 = new Fixture(ws.path('v1'));
    const v1Config = ws.writeConfig('v1.json', {
      backends: { vms: delegateSection(v1.dir, { api_version: 1, command: [FAKE_CPI, '--state', v1.dir, '--api-version', '1'] }) },
    });
    const director = new Director(v1Config, ws.dir);
    const stemcell = await director.ok<string>('create_stemcell', [ws.image('v1-image'), VSPHERE_OVF]);
    const { response, request } = await director.call('create_vm', ['agent-1', stemcell, {}, NETWORKS, [], {}]);
    expect(response.result).toEqual([expect.stringMatching(VM_CID('vms')), NETWORKS]);
    expect(v1.lastCall().stdin).toBe(forwarded(request, ['agent-1', native(stemcell), {}, NETWORKS, [], {}], 1));
  });
});
