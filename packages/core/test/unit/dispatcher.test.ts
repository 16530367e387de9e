import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BACKEND_CONTRACT,
  BackendRegistry,
  CpiError,
  dispatch,
  loadConfig,
  nativeCid,
  parseRequest,
  serializeResponse,
  silentLogger,
  type Backend,
  type BackendModule,
  type NativeCid,
} from '@hybrid-cpi/core';
import memoryModule from '@hybrid-cpi/backend-memory';
import { writeConfig } from './helpers.js';

/** A backend whose behaviour each test sets; records what it was asked. */
class FakeBackend implements Backend {
  readonly calls: string[] = [];
  constructor(private readonly behaviour: Partial<Backend> = {}) {}
  private record(what: string) {
    this.calls.push(what);
  }
  createStemcell = async () => {
    this.record('createStemcell');
    return this.behaviour.createStemcell ? this.behaviour.createStemcell({} as never, {} as never) : nativeCid('stemcell', 'sc-fake');
  };
  deleteStemcell = async (_: unknown, cid: NativeCid) => this.record(`deleteStemcell ${cid}`);
  createVm = async (ctx: never, req: never) => {
    this.record('createVm');
    return this.behaviour.createVm!(ctx, req);
  };
  deleteVm = async (_: unknown, cid: NativeCid) => this.record(`deleteVm ${cid}`);
  hasVm = async () => true;
  rebootVm = async () => undefined;
  createDisk = async () => nativeCid('disk', 'disk-fake');
  deleteDisk = async () => undefined;
  hasDisk = async () => true;
  attachDisk = async (ctx: never, vm: NativeCid<'vm'>, disk: NativeCid<'disk'>) => this.behaviour.attachDisk!(ctx, vm, disk);
  detachDisk = async () => undefined;
}

function fakeModule(backend: FakeBackend, formats = ['openstack-qcow2']): BackendModule {
  return { type: 'fake', contract: BACKEND_CONTRACT, configSchema: { type: 'object' }, stemcellFormats: () => formats, create: () => backend };
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dispatch-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const image = path.join(dir, 'image');
fs.writeFileSync(image, 'image');

async function run(backends: Record<string, unknown>, request: Record<string, unknown>, extra: Record<string, unknown> = {}, fake?: FakeBackend) {
  const builtins = { memory: async () => memoryModule, ...(fake ? { fake: async () => fakeModule(fake) } : {}) };
  const config = await loadConfig(writeConfig({ default_backend: Object.keys(backends)[0], ...extra, backends }), builtins);
  const response = await dispatch(
    await parseRequest(JSON.stringify(request)),
    new BackendRegistry(config, silentLogger),
    silentLogger,
    new AbortController().signal,
  );
  return JSON.parse(serializeResponse(response)) as { result: any; error: { type: string; message: string; ok_to_retry: boolean } | null; log: string };
}

const mem = (name: string, formats: string[]) => ({ type: 'memory', stemcell_formats: formats, state_file: path.join(dir, `${name}-${Math.random()}.json`) });

describe('dispatch', () => {
  const metal = mem('metal', ['openstack-qcow2', 'openstack-raw']);
  const vms = mem('vms', ['vsphere-ova', 'openstack-qcow2']);
  const backends = { metal, vms };

  it('answers info with the union of the stemcell formats, from config alone', async () => {
    expect(await run(backends, { method: 'info', arguments: [] })).toEqual({
      result: { api_version: 2, stemcell_formats: ['openstack-qcow2', 'openstack-raw', 'vsphere-ova'] },
      error: null,
      log: expect.stringMatching(/^info → core: ok \(\d+ ms\)\n$/),
    });
  });

  it('uploads a stemcell to every backend that accepts it, under one composite CID, and deletes every part', async () => {
    const both = await run(backends, { method: 'create_stemcell', arguments: [image, { infrastructure: 'openstack', disk_format: 'qcow2' }] });
    const parts = JSON.parse(both.result);
    expect(Object.keys(parts)).toEqual(['metal', 'vms']);
    const vsphere = await run(backends, { method: 'create_stemcell', arguments: [image, { infrastructure: 'vsphere', disk_format: 'ovf' }] });
    expect(vsphere.result).toMatch(/^vms:sc-/);

    for (const backend of ['metal', 'vms']) {
      const vm = await run(backends, { method: 'create_vm', arguments: ['agent', both.result, { backend }, {}, [], {}], api_version: 2 });
      expect(vm.result[0]).toMatch(new RegExp(`^${backend}:vm-`));
    }
    await run(backends, { method: 'delete_stemcell', arguments: [both.result] });
    const metalState = JSON.parse(fs.readFileSync(metal.state_file, 'utf8'));
    expect(metalState.stemcells).toEqual({});
  });

  it('shapes create_vm by the request api_version', async () => {
    const stemcell = (await run(backends, { method: 'create_stemcell', arguments: [image, { infrastructure: 'openstack', disk_format: 'raw' }] })).result;
    const networks = { default: { type: 'manual', ip: '10.0.0.5', netmask: '255.255.255.0', cloud_properties: {} } };
    const v1 = await run(backends, { method: 'create_vm', arguments: ['a1', stemcell, {}, networks, null, null] });
    expect(v1.result).toMatch(/^metal:vm-[0-9a-f-]{36}$/);
    const v2 = await run(backends, { method: 'create_vm', arguments: ['a2', stemcell, {}, networks, [], {}], api_version: 2 });
    expect(v2.result).toEqual([expect.stringMatching(/^metal:vm-/), networks]);
  });

  it('refuses a stemcell that has no part in the chosen backend, saying what to do', async () => {
    const response = await run(backends, { method: 'create_vm', arguments: ['agent-7', 'metal:sc-1', { backend: 'vms' }, {}, [], {}], api_version: 2 });
    expect(response.error).toEqual({
      type: 'Bosh::Clouds::CloudError',
      message:
        "Creating VM for agent 'agent-7' in backend 'vms': stemcell 'metal:sc-1' has no image in 'vms' (only in metal); upload a stemcell of a format " +
        "'vms' accepts (vsphere-ova, openstack-qcow2) or use a vm_type of another backend",
      ok_to_retry: false,
    });
  });

  it('refuses an unknown cloud_properties.backend, naming the configured ones', async () => {
    const response = await run(backends, { method: 'create_disk', arguments: [10, { backend: 'gpu' }, null] });
    expect(response.error?.message).toBe('Creating a 10 MiB disk: cloud_properties.backend is "gpu", which is not a configured backend (metal, vms)');
  });

  it('creates a disk next to its VM and refuses to attach it across backends', async () => {
    const stemcell = (await run(backends, { method: 'create_stemcell', arguments: [image, { infrastructure: 'vsphere' }] })).result;
    const vm = (await run(backends, { method: 'create_vm', arguments: ['a', stemcell, { backend: 'vms' }, {}, [], {}] })).result;
    const disk = (await run(backends, { method: 'create_disk', arguments: [10, {}, vm] })).result;
    expect(disk).toMatch(/^vms:disk-/);
    const other = (await run(backends, { method: 'create_disk', arguments: [10, {}, null] })).result;
    expect(other).toMatch(/^metal:disk-/);
    const cross = await run(backends, { method: 'attach_disk', arguments: [vm, other], api_version: 2 });
    expect(cross.error?.message).toMatch(/lives in backend 'vms' but disk '.*' lives in backend 'metal'/);
    expect((await run(backends, { method: 'attach_disk', arguments: [vm, disk] })).result).toBeNull();
    expect((await run(backends, { method: 'attach_disk', arguments: [vm, disk], api_version: 2 })).result).toEqual({ path: '/dev/sdc', id: disk.slice(4) });
    expect((await run(backends, { method: 'get_disks', arguments: [vm] })).result).toEqual([disk]);
  });

  it('answers NotSupported or NotImplemented for optional methods a backend lacks', async () => {
    expect((await run(backends, { method: 'update_disk', arguments: ['metal:disk-1', 20, {}], api_version: 2 })).error).toEqual({
      type: 'Bosh::Clouds::NotSupported',
      message: "Backend 'metal' (type memory) does not implement update_disk",
      ok_to_retry: false,
    });
    expect((await run(backends, { method: 'create_network', arguments: [{ type: 'manual' }] })).error?.type).toBe('Bosh::Clouds::NotImplemented');
  });

  it('routes unprefixed CIDs to the legacy backend', async () => {
    const legacy = mem('legacy', ['vsphere-ova']);
    fs.writeFileSync(
      legacy.state_file,
      JSON.stringify({ stemcells: {}, vms: { 'vm-old': { agentId: 'a', stemcell: 's', disks: [], metadata: {}, reboots: 0 } }, disks: {}, snapshots: {} }),
    );
    const config = { metal, legacy };
    expect((await run(config, { method: 'has_vm', arguments: ['vm-old'] }, { legacy_backend: 'legacy' })).result).toBe(true);
    expect((await run(config, { method: 'has_vm', arguments: ['vm-old'] })).error?.type).toBe('Bosh::Clouds::CpiError');
  });

  it('rolls back a stemcell part when another backend fails the upload', async () => {
    const fake = new FakeBackend({ createStemcell: async () => Promise.reject(new Error('disk full')) });
    const fresh = mem('fresh', ['openstack-qcow2']);
    const response = await run(
      { metal: fresh, broken: { type: 'fake' } },
      { method: 'create_stemcell', arguments: [image, { infrastructure: 'openstack' }] },
      {},
      fake,
    );
    expect(response.error).toEqual({ type: 'Bosh::Clouds::CloudError', message: "create_stemcell in backend 'broken' failed: disk full", ok_to_retry: false });
    expect(JSON.parse(fs.readFileSync(fresh.state_file, 'utf8')).stemcells).toEqual({});
  });

  it('deletes a VM again when its CID would be too long for the director', async () => {
    const long = 'x'.repeat(251); // 'fake:' + 251 = 256 characters
    const fake = new FakeBackend({ createVm: async () => ({ cid: nativeCid('vm', long), networks: {} }) });
    const response = await run({ fake: { type: 'fake' } }, { method: 'create_vm', arguments: ['a', 'fake:sc', {}, {}, [], {}], api_version: 2 }, {}, fake);
    expect(response.error?.type).toBe('Bosh::Clouds::CloudError');
    expect(response.error?.message).toMatch(/255/);
    expect(fake.calls).toEqual(['createVm', `deleteVm ${long}`]);
  });

  it('puts what backends add to the response log before its summary, each text ending with a newline, also when the call fails', async () => {
    const fake = new FakeBackend({
      attachDisk: async (ctx) => {
        ctx.responseLog.append('I, [2026-12-01] INFO -- : attaching\n');
        ctx.responseLog.append('');
        ctx.responseLog.append('no newline at the end');
        throw new CpiError('CPX_DISK_NOT_FOUND', 'no such disk');
      },
    });
    const response = await run(
      { fake: { type: 'fake' } },
      { method: 'attach_disk', arguments: ['fake:vm', 'fake:disk'], api_version: 2 },
      { log_level: 'silent' },
      fake,
    );
    expect(response.error?.type).toBe('Bosh::Clouds::DiskNotFound');
    expect(response.log).toMatch(
      /^I, \[2026-12-01\] INFO -- : attaching\nno newline at the end\nattach_disk → fake: failed with Bosh::Clouds::DiskNotFound \(\d+ ms\)\n$/,
    );
  });

  it('ends every non-empty log it serialises with a newline, and leaves an empty one empty', () => {
    expect(JSON.parse(serializeResponse({ result: 1, error: null, log: 'one line' })).log).toBe('one line\n');
    expect(JSON.parse(serializeResponse({ result: 1, error: null, log: 'two\n' })).log).toBe('two\n');
    expect(JSON.parse(serializeResponse({ result: 1, error: null, log: '' })).log).toBe('');
  });

  it('refuses an empty disk hint in API v2, which the director would reject', async () => {
    const fake = new FakeBackend({ attachDisk: async () => '' });
    const response = await run({ fake: { type: 'fake' } }, { method: 'attach_disk', arguments: ['fake:vm', 'fake:disk'], api_version: 2 }, {}, fake);
    expect(response.error?.message).toBe("Attaching disk 'fake:disk' to VM 'fake:vm': the backend returned no disk hint");
  });
});

describe('dispatch with a backend whose create() throws', () => {
  it('reports the backend and method instead of an unexpected error', async () => {
    const module: BackendModule = {
      type: 'fake',
      contract: BACKEND_CONTRACT,
      configSchema: {},
      stemcellFormats: () => [],
      create: () => {
        throw new Error('no credentials');
      },
    };
    const config = await loadConfig(writeConfig({ backends: { bad: { type: 'fake' } } }), { fake: async () => module });
    const response = await dispatch(
      await parseRequest('{"method":"has_vm","arguments":["bad:vm-1"]}'),
      new BackendRegistry(config, silentLogger),
      silentLogger,
      new AbortController().signal,
    );
    expect(response.error).toEqual({ type: 'Bosh::Clouds::CloudError', message: "has_vm in backend 'bad' failed: no credentials", ok_to_retry: false });
  });
});
