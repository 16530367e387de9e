// What reaches the delegate: the director's request as sent, apart from the CIDs (native ones at
// the CID positions of each method) and the API-version rules; the director's context untouched
// plus the configured additions; the director's environment plus the configured additions.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CallContext, NativeCid } from '@hybrid-cpi/core';
import type { DelegateBackend } from '../../src/backend.js';
import { DIRECTOR_CONTEXT, FakeCpi, callContext, delegateBackend, native } from './helpers.js';
import { manualNetworks } from '../../../../test/fixtures/director-networks.js';

let cpi: FakeCpi;
beforeEach(() => {
  cpi = new FakeCpi();
});
afterEach(() => cpi.cleanup());

const NETWORKS = manualNetworks({ name: 'VM Network' });
// Non-ASCII text, a line separator, escapes, and key orders a sort would change.
const CLOUD_PROPERTIES = { zeta: 1, alpha: 'é ü 日本 \u2028 </script> "quoted" \\ back\tslash', backend: 'vms', nested: { b: [1.5, null, true], a: {} } };
const ENV = { bosh: { group: 'd-dep-worker', groups: ['d', 'dep'], mbus: { cert: { ca: '-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----\n' } } } };

/** The request the director would send, as the proxy received it. */
function directorRequest(method: string, args: unknown[], apiVersion: number | undefined, context: Record<string, unknown> = DIRECTOR_CONTEXT): string {
  return JSON.stringify({ method, arguments: args, context, ...(apiVersion === undefined ? {} : { api_version: apiVersion }) });
}

/**
 * Runs one call as the core would for a director request: raw arguments as sent, native CIDs.
 * `apiVersion` null: a request without one.
 */
async function forward<T>(
  method: CallContext['method'],
  args: unknown[],
  call: (backend: DelegateBackend, ctx: CallContext) => Promise<T>,
  apiVersion: number | null = 2,
) {
  // The arguments the core holds: parsed from the director's JSON, exactly as the director sent them.
  const raw = JSON.parse(JSON.stringify(args)) as unknown[];
  return call(delegateBackend(cpi), callContext(method, raw, { requestedApiVersion: apiVersion ?? undefined }));
}

async function stemcell(): Promise<NativeCid<'stemcell'>> {
  return forward('create_stemcell', ['/tmp/image', { infrastructure: 'vsphere' }], (b, ctx) =>
    b.createStemcell(ctx, { imagePath: '/tmp/image', cloudProperties: { infrastructure: 'vsphere' }, env: undefined }),
  );
}

describe('the request reaches the delegate as the director sent it, apart from the CIDs', () => {
  it("create_vm: the stemcell and disk CIDs are native, every other byte is the director's", async () => {
    const sc = await stemcell();
    const args = ['agent-1', `vms:${sc}`, CLOUD_PROPERTIES, NETWORKS, ['vms:disk-a', 'vms:disk-b'], ENV];
    const created = await forward('create_vm', args, (b, ctx) =>
      b.createVm(ctx, {
        agentId: 'agent-1',
        stemcellCid: sc,
        cloudProperties: CLOUD_PROPERTIES,
        networks: NETWORKS,
        diskCids: [native('disk-a'), native('disk-b')],
        env: ENV,
      }),
    );
    expect(cpi.lastCall().stdin).toBe(directorRequest('create_vm', ['agent-1', sc, CLOUD_PROPERTIES, NETWORKS, ['disk-a', 'disk-b'], ENV], 2));
    expect(created.cid).toMatch(/^vm-/);
    expect(created.networks).toEqual(NETWORKS);
  });

  it('create_vm with null disk_cids and env keeps them null (the core alone would send [] and {})', async () => {
    const sc = await stemcell();
    const args = ['agent-1', `vms:${sc}`, {}, NETWORKS, null, null];
    await forward('create_vm', args, (b, ctx) =>
      b.createVm(ctx, { agentId: 'agent-1', stemcellCid: sc, cloudProperties: {}, networks: NETWORKS, diskCids: [], env: {} }),
    );
    expect(cpi.lastCall().stdin).toBe(directorRequest('create_vm', ['agent-1', sc, {}, NETWORKS, null, null], 2));
  });

  it('create_disk with a vm_cid hint, and with null', async () => {
    await forward('create_disk', [1024, CLOUD_PROPERTIES, 'vms:vm-1'], (b, ctx) =>
      b.createDisk(ctx, { size: 1024, cloudProperties: CLOUD_PROPERTIES, vmCid: native('vm-1') }),
    );
    expect(cpi.lastCall().stdin).toBe(directorRequest('create_disk', [1024, CLOUD_PROPERTIES, 'vm-1'], 2));
    await forward('create_disk', [1024, {}, null], (b, ctx) => b.createDisk(ctx, { size: 1024, cloudProperties: {}, vmCid: undefined }));
    expect(cpi.lastCall().stdin).toBe(directorRequest('create_disk', [1024, {}, null], 2));
  });

  const byCid: [string, unknown[], unknown[], (b: DelegateBackend, ctx: CallContext) => Promise<unknown>][] = [
    ['delete_vm', ['vms:vm-1'], ['vm-1'], (b, ctx) => b.deleteVm(ctx, native('vm-1')).catch(() => undefined)],
    ['has_vm', ['vms:vm-1'], ['vm-1'], (b, ctx) => b.hasVm(ctx, native('vm-1'))],
    ['reboot_vm', ['vms:vm-1'], ['vm-1'], (b, ctx) => b.rebootVm(ctx, native('vm-1')).catch(() => undefined)],
    [
      'set_vm_metadata',
      ['vms:vm-1', { director: 'd', index: '0' }],
      ['vm-1', { director: 'd', index: '0' }],
      (b, ctx) => b.setVmMetadata(ctx, native('vm-1'), {}).catch(() => undefined),
    ],
    ['get_disks', ['vms:vm-1'], ['vm-1'], (b, ctx) => b.getDisks(ctx, native('vm-1')).catch(() => undefined)],
    ['delete_disk', ['vms:disk-1'], ['disk-1'], (b, ctx) => b.deleteDisk(ctx, native('disk-1'))],
    ['has_disk', ['vms:disk-1'], ['disk-1'], (b, ctx) => b.hasDisk(ctx, native('disk-1'))],
    ['attach_disk', ['vms:vm-1', 'vms:disk-1'], ['vm-1', 'disk-1'], (b, ctx) => b.attachDisk(ctx, native('vm-1'), native('disk-1')).catch(() => undefined)],
    ['detach_disk', ['vms:vm-1', 'vms:disk-1'], ['vm-1', 'disk-1'], (b, ctx) => b.detachDisk(ctx, native('vm-1'), native('disk-1')).catch(() => undefined)],
    ['set_disk_metadata', ['vms:disk-1', { a: 1 }], ['disk-1', { a: 1 }], (b, ctx) => b.setDiskMetadata(ctx, native('disk-1'), {}).catch(() => undefined)],
    ['resize_disk', ['vms:disk-1', 2048], ['disk-1', 2048], (b, ctx) => b.resizeDisk(ctx, native('disk-1'), 2048).catch(() => undefined)],
    [
      'update_disk',
      ['vms:disk-1', 2048, { type: 'thick' }],
      ['disk-1', 2048, { type: 'thick' }],
      (b, ctx) => b.updateDisk(ctx, native('disk-1'), 2048, {}).catch(() => undefined),
    ],
    ['snapshot_disk', ['vms:disk-1', { index: 0 }], ['disk-1', { index: 0 }], (b, ctx) => b.snapshotDisk(ctx, native('disk-1'), {}).catch(() => undefined)],
    ['delete_snapshot', ['vms:snap-1'], ['snap-1'], (b, ctx) => b.deleteSnapshot(ctx, native('snap-1'))],
    ['delete_network', ['vms:net-1'], ['net-1'], (b, ctx) => b.deleteNetwork(ctx, native('net-1')).catch(() => undefined)],
    ['delete_stemcell', ['{"metal":"abc","vms":"sc-1"}'], ['sc-1'], (b, ctx) => b.deleteStemcell(ctx, native('sc-1'))],
    [
      'calculate_vm_cloud_properties',
      [{ cpu: 2, ram: 4096, ephemeral_disk_size: 10240 }],
      [{ cpu: 2, ram: 4096, ephemeral_disk_size: 10240 }],
      (b, ctx) => b.calculateVmCloudProperties(ctx, { cpu: 2, ram: 4096, ephemeral_disk_size: 10240 }),
    ],
    [
      'create_network',
      [{ type: 'manual', cloud_properties: { backend: 'vms' } }],
      [{ type: 'manual', cloud_properties: { backend: 'vms' } }],
      (b, ctx) => b.createNetwork(ctx, { type: 'manual' }),
    ],
    ['current_vm_id', [], [], (b, ctx) => b.currentVmId(ctx)],
  ];
  it.each(byCid)('%s', async (method, sent, expected, call) => {
    await forward(method as CallContext['method'], sent, call);
    expect(cpi.lastCall().stdin).toBe(directorRequest(method, expected, 2));
  });

  it('a call the core makes inside another method (a rollback) is built from its own arguments', async () => {
    // create_vm's request, but the core deletes the VM it just made (an over-long CID).
    const ctx = callContext('create_vm', ['agent-1', 'vms:sc-1', {}, NETWORKS, [], {}]);
    await delegateBackend(cpi)
      .deleteVm(ctx, native('vm-1'))
      .catch(() => undefined);
    expect(cpi.lastCall().stdin).toBe(directorRequest('delete_vm', ['vm-1'], 2));
  });
});

describe('API versions', () => {
  it('a v3 create_stemcell to a delegate that speaks 2 loses its third argument and says 2', async () => {
    const tags = { tags: { owner: 'team-a' } };
    const cid = await forward(
      'create_stemcell',
      ['/tmp/image', { infrastructure: 'vsphere' }, tags],
      (b, ctx) => b.createStemcell(ctx, { imagePath: '/tmp/image', cloudProperties: { infrastructure: 'vsphere' }, env: tags }),
      3,
    );
    expect(cpi.lastCall().stdin).toBe(directorRequest('create_stemcell', ['/tmp/image', { infrastructure: 'vsphere' }], 2));
    expect(cpi.record('stemcells', cid)).toEqual({ image_path: '/tmp/image', cloud_properties: { infrastructure: 'vsphere' } });
  });

  it('a v3 create_stemcell to a delegate that speaks 3 keeps its third argument', async () => {
    cpi.cleanup();
    cpi = new FakeCpi(3);
    const tags = { tags: { owner: 'team-a' } };
    const cid = await forward(
      'create_stemcell',
      ['/tmp/image', {}, tags],
      (b, ctx) => b.createStemcell(ctx, { imagePath: '/tmp/image', cloudProperties: {}, env: tags }),
      3,
    );
    expect(cpi.lastCall().stdin).toBe(directorRequest('create_stemcell', ['/tmp/image', {}, tags], 3));
    expect(cpi.record('stemcells', cid)).toMatchObject({ env: tags });
  });

  it('a v2 request to a delegate that speaks 3 stays 2', async () => {
    cpi.cleanup();
    cpi = new FakeCpi(3);
    await forward('has_vm', ['vms:vm-1'], (b, ctx) => b.hasVm(ctx, native('vm-1')), 2);
    expect(cpi.lastRequest().api_version).toBe(2);
  });

  it('a delegate that speaks 1 gets api_version 1, answers create_vm with a bare CID and attach_disk with nothing', async () => {
    cpi.cleanup();
    cpi = new FakeCpi(1);
    const sc = await stemcell();
    expect(cpi.lastRequest().api_version).toBe(1);
    const created = await forward('create_vm', ['agent-1', `vms:${sc}`, {}, NETWORKS, [], {}], (b, ctx) =>
      b.createVm(ctx, { agentId: 'agent-1', stemcellCid: sc, cloudProperties: {}, networks: NETWORKS, diskCids: [], env: {} }),
    );
    expect(cpi.lastRequest().api_version).toBe(1);
    expect(created).toEqual({ cid: expect.stringMatching(/^vm-/), networks: NETWORKS });
    const disk = await forward('create_disk', [1024, {}, null], (b, ctx) => b.createDisk(ctx, { size: 1024, cloudProperties: {}, vmCid: undefined }));
    // A v1 request: the core answers nothing either.
    const hint = await forward('attach_disk', [`vms:${created.cid}`, `vms:${disk}`], (b, ctx) => b.attachDisk(ctx, created.cid, disk), 1);
    expect(hint).toBe('');
    expect(cpi.record('disks', disk)).toMatchObject({ vm: created.cid });
    // A v2 director needs a hint the v1 CPI does not give: say so, and how to fix it.
    const error = await forward('attach_disk', [`vms:${created.cid}`, `vms:${disk}`], (b, ctx) => b.attachDisk(ctx, created.cid, disk), 2).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({
      type: 'Bosh::Clouds::CloudError',
      message: expect.stringMatching(/speaks api_version 1 and answered attach_disk with no disk hint/),
    });
  });

  it('a request without api_version reaches the delegate without one', async () => {
    const sc = await stemcell();
    const created = await forward(
      'create_vm',
      ['agent-1', `vms:${sc}`, {}, NETWORKS, [], {}],
      (b, ctx) => b.createVm(ctx, { agentId: 'agent-1', stemcellCid: sc, cloudProperties: {}, networks: NETWORKS, diskCids: [], env: {} }),
      null,
    );
    expect(cpi.lastCall().stdin).toBe(directorRequest('create_vm', ['agent-1', sc, {}, NETWORKS, [], {}], undefined));
    expect(Object.hasOwn(cpi.lastRequest(), 'api_version')).toBe(false);
    expect(created.cid).toMatch(/^vm-/);
  });

  it("v2 create_vm and attach_disk results become the Backend contract's", async () => {
    const sc = await stemcell();
    const created = await forward('create_vm', ['agent-1', `vms:${sc}`, {}, NETWORKS, [], {}], (b, ctx) =>
      b.createVm(ctx, { agentId: 'agent-1', stemcellCid: sc, cloudProperties: {}, networks: NETWORKS, diskCids: [], env: {} }),
    );
    const disk = await forward('create_disk', [1024, {}, `vms:${created.cid}`], (b, ctx) =>
      b.createDisk(ctx, { size: 1024, cloudProperties: {}, vmCid: created.cid }),
    );
    const hint = await forward('attach_disk', [`vms:${created.cid}`, `vms:${disk}`], (b, ctx) => b.attachDisk(ctx, created.cid, disk));
    expect(hint).toEqual({ path: expect.stringMatching(/^\/dev\/disk\/by-id\/virtio-/), volume_id: disk });
    expect(await forward('get_disks', [`vms:${created.cid}`], (b, ctx) => b.getDisks(ctx, created.cid))).toEqual([disk]);
    expect(await forward('update_disk', [`vms:${disk}`, 2048, {}], (b, ctx) => b.updateDisk(ctx, disk, 2048, {}))).toBeUndefined();
    const network = await forward('create_network', [{ type: 'manual', range: '10.2.0.0/24', cloud_properties: { name: 'n' } }], (b, ctx) =>
      b.createNetwork(ctx, {}),
    );
    expect(network).toEqual({
      cid: expect.stringMatching(/^net-/),
      spec: { range: '10.2.0.0/24', gateway: '10.1.0.1', reserved: [] },
      cloudProperties: { name: 'n' },
    });
  });
});

describe('context and environment', () => {
  it("the context reaches the delegate untouched, with the configured keys added (never replacing the director's)", async () => {
    const context = {
      director_uuid: 'uuid-1',
      request_id: 'cpi-654321',
      vm: { stemcell: { api_version: 3 } },
      datacenters: [{ name: 'dc1', clusters: ['c1'] }],
      password: 'from-cpi-config',
    };
    const backend = delegateBackend(cpi, { context: { host: 'vcenter.example', director_uuid: 'not-this', user: 'cpi' } });
    await backend.hasVm(callContext('has_vm', ['vms:vm-1'], { context }), native('vm-1'));
    expect(cpi.lastCall().stdin).toBe(
      JSON.stringify({ method: 'has_vm', arguments: ['vm-1'], context: { ...context, host: 'vcenter.example', user: 'cpi' }, api_version: 2 }),
    );
  });

  it("the delegate's environment is PATH, TMPDIR and HOME from ours plus the configured additions, nothing else", async () => {
    const saved = { ...process.env };
    try {
      process.env['TMPDIR'] = '/tmp/director-tmp';
      process.env['HOME'] = '/home/vcap';
      process.env['HTTP_PROXY'] = 'http://proxy:3128';
      process.env['BOSH_PACKAGES_DIR'] = '/tmp/packages';
      const backend = delegateBackend(cpi, { env: { BOSH_JOBS_DIR: '/var/vcap/jobs', HTTPS_PROXY: 'http://other:3128' } });
      await backend.hasVm(callContext('has_vm', ['vms:vm-1']), native('vm-1'));
    } finally {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
    }
    expect(cpi.lastCall().env).toEqual({
      PATH: process.env['PATH'],
      TMPDIR: '/tmp/director-tmp',
      HOME: '/home/vcap',
      BOSH_JOBS_DIR: '/var/vcap/jobs',
      HTTPS_PROXY: 'http://other:3128',
    });
  });

  it('the command runs without a shell: its arguments reach it as they are', async () => {
    const backend = delegateBackend(cpi, { command: [...cpi.command, '--flag', '$HOME; echo hi', '*'] });
    await backend.hasVm(callContext('has_vm', ['vms:vm-1']), native('vm-1'));
    expect(cpi.lastCall().argv.slice(-3)).toEqual(['--flag', '$HOME; echo hi', '*']);
  });
});
