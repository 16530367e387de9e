// Routing through the built binary (docs/architecture.md#what-it-is): every CID is `<backend>:<native>`, calls go
// to the backend their CIDs or cloud_properties name, unprefixed CIDs go to legacy_backend, and a
// stemcell uploaded to several backends gets one composite CID. The backends are `type: memory`
// ones whose state files show where each resource really landed.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cpi, Director, Workspace, readMemoryState, writeMemoryState, type MemoryState } from './helpers/cpi.js';
import { manualNetworks } from '../fixtures/director-networks.js';

const ws = new Workspace('routing');
afterAll(() => ws.cleanup());

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/.source;
const cidOf = (backend: string, kind: 'sc' | 'vm' | 'disk' | 'snap') => new RegExp(`^${backend}:${kind}-${UUID}$`);
/** The native part of a prefixed CID. */
const native = (cid: string) => cid.slice(cid.indexOf(':') + 1);

const NETWORKS = manualNetworks();
const OPENSTACK_QCOW2 = {
  name: 'bosh-openstack-kvm-ubuntu-jammy-go_agent',
  version: '1.500',
  infrastructure: 'openstack',
  hypervisor: 'kvm',
  disk_format: 'qcow2',
  container_format: 'bare',
  os_type: 'linux',
  os_distro: 'ubuntu',
  architecture: 'x86_64',
};
const VSPHERE_OVF = { name: 'bosh-vsphere-esxi-ubuntu-jammy-go_agent', version: '1.500', infrastructure: 'vsphere', hypervisor: 'esxi', disk_format: 'ovf' };

function memory(stemcellFormats: string[], stateFile: string) {
  return { type: 'memory', stemcell_formats: stemcellFormats, state_file: stateFile };
}

describe('routing by CID prefix, cloud_properties and default backend', () => {
  const files = { metal: ws.path('metal.json'), vms: ws.path('vms.json'), legacy: ws.path('legacy.json') };
  const state = (backend: keyof typeof files): MemoryState => readMemoryState(files[backend]);
  let director: Director;
  const image = ws.image('image');

  beforeAll(() => {
    const config = ws.writeConfig('routing.json', {
      default_backend: 'metal',
      legacy_backend: 'legacy',
      backends: {
        metal: memory(['openstack-qcow2', 'openstack-raw'], files.metal),
        vms: memory(['vsphere-ova', 'vsphere-ovf'], files.vms),
        legacy: memory(['azure-vhd'], files.legacy),
      },
    });
    director = new Director(config, ws.dir);
  });

  // The lifecycle below runs in order, as a deploy, an attach and a delete-deployment would.
  let metalStemcell = '';
  let vmsStemcell = '';
  let metalVm = '';
  let vmsVm = '';

  it('create_stemcell of an OpenStack qcow2 stemcell lands in metal only', async () => {
    metalStemcell = await director.ok<string>('create_stemcell', [image, OPENSTACK_QCOW2]);
    expect(metalStemcell).toMatch(cidOf('metal', 'sc'));
    expect(Object.keys(state('metal').stemcells)).toEqual([native(metalStemcell)]);
    expect(state('metal').stemcells[native(metalStemcell)]).toEqual({ imagePath: image });
    expect(state('vms').stemcells).toEqual({});
    expect(state('legacy').stemcells).toEqual({});
  });

  it('create_stemcell of a vSphere ovf stemcell lands in vms only', async () => {
    vmsStemcell = await director.ok<string>('create_stemcell', [image, VSPHERE_OVF]);
    expect(vmsStemcell).toMatch(cidOf('vms', 'sc'));
    expect(Object.keys(state('vms').stemcells)).toEqual([native(vmsStemcell)]);
    expect(Object.keys(state('metal').stemcells)).toEqual([native(metalStemcell)]);
    expect(state('legacy').stemcells).toEqual({});
  });

  it('create_stemcell that no backend accepts is a CloudError naming what each backend accepts', async () => {
    const error = await director.fails('Bosh::Clouds::CloudError', 'create_stemcell', [image, { infrastructure: 'aws', disk_format: 'raw' }]);
    for (const word of ['metal', 'openstack-qcow2', 'vms', 'vsphere-ovf']) expect(error.message).toContain(word);
  });

  it('create_vm without cloud_properties.backend goes to the default backend', async () => {
    const [cid, networks] = await director.ok<[string, unknown]>('create_vm', ['agent-metal', metalStemcell, { instance_type: 'm1' }, NETWORKS, [], {}]);
    metalVm = cid;
    expect(metalVm).toMatch(cidOf('metal', 'vm'));
    expect(networks).toEqual(NETWORKS);
    expect(state('metal').vms[native(metalVm)]).toMatchObject({ agentId: 'agent-metal', stemcell: native(metalStemcell) });
    expect(state('vms').vms).toEqual({});
    expect(state('legacy').vms).toEqual({});
  });

  it('create_vm with cloud_properties.backend goes to that backend', async () => {
    [vmsVm] = await director.ok<[string, unknown]>('create_vm', ['agent-vms', vmsStemcell, { backend: 'vms', cpu: 2 }, NETWORKS, null, null]);
    expect(vmsVm).toMatch(cidOf('vms', 'vm'));
    expect(state('vms').vms[native(vmsVm)]).toMatchObject({ agentId: 'agent-vms', stemcell: native(vmsStemcell) });
    expect(Object.keys(state('metal').vms)).toEqual([native(metalVm)]);
    expect(state('legacy').vms).toEqual({});
  });

  it('create_vm with a stemcell that has no image in the chosen backend is a CloudError naming both', async () => {
    const before = [state('metal'), state('vms')];
    const error = await director.fails('Bosh::Clouds::CloudError', 'create_vm', ['agent-x', vmsStemcell, {}, NETWORKS, [], {}]);
    expect(error.message).toContain(vmsStemcell);
    expect(error.message).toContain('metal');
    expect([state('metal'), state('vms')]).toEqual(before);
  });

  it('create_vm naming a backend that is not configured is a CpiError naming it', async () => {
    const error = await director.fails('Bosh::Clouds::CpiError', 'create_vm', ['agent-x', metalStemcell, { backend: 'nowhere' }, NETWORKS, [], {}]);
    expect(error.message).toContain('nowhere');
  });

  it('has_vm routes by prefix: true for each VM in its backend, false for a native CID under the other prefix', async () => {
    expect(await director.ok('has_vm', [metalVm])).toBe(true);
    expect(await director.ok('has_vm', [vmsVm])).toBe(true);
    expect(await director.ok('has_vm', [`vms:${native(metalVm)}`])).toBe(false);
    expect(await director.ok('has_vm', [`metal:${native(vmsVm)}`])).toBe(false);
    expect(await director.ok('has_vm', ['metal:vm-does-not-exist'])).toBe(false);
  });

  it('set_vm_metadata and reboot_vm change only the VM of the CID’s backend', async () => {
    const metadata = {
      director: 'bosh',
      deployment: 'dep',
      id: 'abc',
      job: 'web',
      instance_group: 'web',
      index: '0',
      name: 'web/abc',
      created_at: '2025-01-01T00:00:00Z',
    };
    expect(await director.ok('set_vm_metadata', [metalVm, metadata])).toBeNull();
    expect(await director.ok('set_vm_metadata', [vmsVm, { ...metadata, job: 'db' }])).toBeNull();
    expect(await director.ok('reboot_vm', [vmsVm])).toBeNull();
    expect(state('metal').vms[native(metalVm)]).toMatchObject({ metadata, reboots: 0 });
    expect(state('vms').vms[native(vmsVm)]).toMatchObject({ metadata: { ...metadata, job: 'db' }, reboots: 1 });
  });

  it('calculate_vm_cloud_properties is answered by the default backend', async () => {
    const result = await director.ok('calculate_vm_cloud_properties', [{ cpu: 2, ram: 4096, ephemeral_disk_size: 10240 }]);
    expect(result).toEqual(expect.any(Object));
    // With an Ironic backend as the default, the same call must reach it, not a memory backend:
    // it answers hardware minimums (no network call needed).
    const ironicDefault = new Director(
      ws.writeConfig('ironic-default.json', {
        default_backend: 'irn',
        backends: {
          vms: memory(['vsphere-ova'], files.vms),
          irn: {
            type: 'ironic',
            ironic: { url: 'http://127.0.0.1:9', auth: { type: 'noauth' } },
            image_store: { type: 'webdav', url: 'http://127.0.0.1:9/images' },
          },
        },
      }),
      ws.dir,
    );
    const { response } = await ironicDefault.call('calculate_vm_cloud_properties', [{ cpu: 2, ram: 4096, ephemeral_disk_size: 10240 }]);
    expect(response).toMatchObject({ result: { ironic_properties: { cpus: 2, memory_mb: 4096, local_gb: 10 } }, error: null });
    expect(response.log).toContain('→ irn');
  });

  let metalDisk = '';
  let vmsDisk = '';

  it('create_disk with a VM hint lands next to the VM, even when cloud_properties name another backend', async () => {
    metalDisk = await director.ok<string>('create_disk', [10240, { backend: 'vms', type: 'ssd' }, metalVm]);
    expect(metalDisk).toMatch(cidOf('metal', 'disk'));
    vmsDisk = await director.ok<string>('create_disk', [2048, {}, vmsVm]);
    expect(vmsDisk).toMatch(cidOf('vms', 'disk'));
    expect(Object.keys(state('metal').disks)).toEqual([native(metalDisk)]);
    expect(Object.keys(state('vms').disks)).toEqual([native(vmsDisk)]);
  });

  it('create_disk without a VM hint goes by cloud_properties.backend, else to the default backend', async () => {
    const byProps = await director.ok<string>('create_disk', [1024, { backend: 'vms' }, null]);
    expect(byProps).toMatch(cidOf('vms', 'disk'));
    const byDefault = await director.ok<string>('create_disk', [1024, {}, null]);
    expect(byDefault).toMatch(cidOf('metal', 'disk'));
    expect(state('vms').disks[native(byProps)]).toMatchObject({ size: 1024, vm: null });
    expect(state('metal').disks[native(byDefault)]).toMatchObject({ size: 1024, vm: null });
    expect(state('legacy').disks).toEqual({});
    expect(await director.ok('delete_disk', [byProps])).toBeNull();
    expect(await director.ok('delete_disk', [byDefault])).toBeNull();
    expect(state('vms').disks[native(byProps)]).toBeUndefined();
    expect(state('metal').disks[native(byDefault)]).toBeUndefined();
  });

  it('attach_disk attaches in the shared backend and returns a hint', async () => {
    for (const [vm, disk, backend] of [
      [metalVm, metalDisk, 'metal'],
      [vmsVm, vmsDisk, 'vms'],
    ] as const) {
      const hint = await director.ok('attach_disk', [vm, disk]);
      expect(hint).toBeTruthy();
      expect(hint).not.toEqual({});
      expect(state(backend).disks[native(disk)]?.vm).toBe(native(vm));
      expect(state(backend).vms[native(vm)]?.disks).toEqual([native(disk)]);
    }
  });

  it('attach_disk of a VM and a disk of different backends is a CloudError that changes nothing', async () => {
    const before = [state('metal'), state('vms')];
    const error = await director.fails('Bosh::Clouds::CloudError', 'attach_disk', [metalVm, vmsDisk]);
    expect(error.message).toContain('metal');
    expect(error.message).toContain('vms');
    await director.fails('Bosh::Clouds::CloudError', 'detach_disk', [vmsVm, metalDisk]);
    expect([state('metal'), state('vms')]).toEqual(before);
  });

  it('get_disks returns prefixed disk CIDs', async () => {
    expect(await director.ok('get_disks', [metalVm])).toEqual([metalDisk]);
    expect(await director.ok('get_disks', [vmsVm])).toEqual([vmsDisk]);
  });

  it('has_disk, set_disk_metadata and resize_disk route by the disk CID', async () => {
    expect(await director.ok('has_disk', [metalDisk])).toBe(true);
    expect(await director.ok('has_disk', [`vms:${native(metalDisk)}`])).toBe(false);
    const metadata = {
      director: 'bosh',
      deployment: 'dep',
      instance_id: 'abc',
      instance_index: '0',
      instance_group: 'web',
      attached_at: '2025-01-01T00:00:00Z',
    };
    expect(await director.ok('set_disk_metadata', [metalDisk, metadata])).toBeNull();
    expect(await director.ok('resize_disk', [vmsDisk, 4096])).toBeNull();
    expect(state('metal').disks[native(metalDisk)]).toMatchObject({ metadata, size: 10240 });
    expect(state('vms').disks[native(vmsDisk)]).toMatchObject({ metadata: {}, size: 4096 });
  });

  it('snapshot_disk returns a prefixed snapshot CID and delete_snapshot removes it from that backend', async () => {
    const snapshot = await director.ok<string>('snapshot_disk', [metalDisk, { deployment: 'dep', job: 'web', index: 0 }]);
    expect(snapshot).toMatch(cidOf('metal', 'snap'));
    expect(state('metal').snapshots).toEqual({ [native(snapshot)]: { disk: native(metalDisk) } });
    expect(state('vms').snapshots).toEqual({});
    expect(await director.ok('delete_snapshot', [snapshot])).toBeNull();
    expect(state('metal').snapshots).toEqual({});
  });

  it('detach_disk and delete_disk act on the disk’s backend', async () => {
    for (const [vm, disk, backend] of [
      [metalVm, metalDisk, 'metal'],
      [vmsVm, vmsDisk, 'vms'],
    ] as const) {
      expect(await director.ok('detach_disk', [vm, disk])).toBeNull();
      expect(state(backend).disks[native(disk)]?.vm).toBeNull();
      expect(state(backend).vms[native(vm)]?.disks).toEqual([]);
      expect(await director.ok('delete_disk', [disk])).toBeNull();
      expect(state(backend).disks[native(disk)]).toBeUndefined();
      expect(await director.ok('has_disk', [disk])).toBe(false);
    }
  });

  it('delete_vm and delete_stemcell remove the resources from their backends; has_vm is then false', async () => {
    expect(await director.ok('delete_vm', [metalVm])).toBeNull();
    expect(state('metal').vms).toEqual({});
    expect(Object.keys(state('vms').vms)).toEqual([native(vmsVm)]);
    expect(await director.ok('delete_vm', [vmsVm])).toBeNull();
    expect(state('vms').vms).toEqual({});
    expect(await director.ok('has_vm', [metalVm])).toBe(false);
    expect(await director.ok('has_vm', [vmsVm])).toBe(false);

    expect(await director.ok('delete_stemcell', [metalStemcell])).toBeNull();
    expect(state('metal').stemcells).toEqual({});
    expect(Object.keys(state('vms').stemcells)).toEqual([native(vmsStemcell)]);
    expect(await director.ok('delete_stemcell', [vmsStemcell])).toBeNull();
    expect(state('vms').stemcells).toEqual({});
  });

  describe('unprefixed CIDs belong to legacy_backend', () => {
    beforeAll(() => {
      const legacy = readMemoryState(files.legacy);
      legacy.stemcells['sc-old'] = { imagePath: image };
      legacy.vms['vm-old'] = { agentId: 'agent-old', stemcell: 'sc-old', disks: ['disk-old'], metadata: {}, reboots: 0 };
      // CIDs of some clouds contain ':' themselves (Azure's do); a prefix that is no backend
      // name leaves the whole CID to the legacy backend.
      legacy.vms['azure:vm-colon'] = { agentId: 'agent-colon', stemcell: 'sc-old', disks: [], metadata: {}, reboots: 0 };
      legacy.disks['disk-old'] = { size: 1024, vm: 'vm-old', metadata: {} };
      writeMemoryState(files.legacy, legacy);
    });

    it('has_vm, has_disk and get_disks of unprefixed CIDs answer from the legacy backend', async () => {
      expect(await director.ok('has_vm', ['vm-old'])).toBe(true);
      expect(await director.ok('has_vm', ['azure:vm-colon'])).toBe(true);
      expect(await director.ok('has_vm', ['vm-not-there'])).toBe(false);
      expect(await director.ok('has_disk', ['disk-old'])).toBe(true);
      // Returned CIDs carry the legacy backend's prefix.
      expect(await director.ok('get_disks', ['vm-old'])).toEqual(['legacy:disk-old']);
    });

    it('reboot_vm and delete_vm of an unprefixed CID change the legacy backend only', async () => {
      const others = [fs.readFileSync(files.metal, 'utf8'), fs.readFileSync(files.vms, 'utf8')];
      expect(await director.ok('reboot_vm', ['azure:vm-colon'])).toBeNull();
      expect(state('legacy').vms['azure:vm-colon']?.reboots).toBe(1);
      expect(await director.ok('delete_vm', ['vm-old'])).toBeNull();
      expect(Object.keys(state('legacy').vms)).toEqual(['azure:vm-colon']);
      // delete_vm lets go of the disks the VM held.
      expect(state('legacy').disks['disk-old']?.vm).toBeNull();
      expect(await director.ok('has_vm', ['vm-old'])).toBe(false);
      expect([fs.readFileSync(files.metal, 'utf8'), fs.readFileSync(files.vms, 'utf8')]).toEqual(others);
    });

    it('the prefixed form of a legacy CID reaches the same resource', async () => {
      expect(await director.ok('has_disk', ['legacy:disk-old'])).toBe(true);
      expect(await director.ok('delete_disk', ['legacy:disk-old'])).toBeNull();
      expect(await director.ok('has_disk', ['disk-old'])).toBe(false);
      expect(await director.ok('delete_vm', ['azure:vm-colon'])).toBeNull();
      expect(await director.ok('delete_stemcell', ['sc-old'])).toBeNull();
      expect(state('legacy')).toEqual({ stemcells: {}, vms: {}, disks: {}, snapshots: {} });
    });
  });
});

describe('without a legacy_backend', () => {
  let cpi: Cpi;
  const stateFile = ws.path('solo-metal.json');

  beforeAll(() => {
    writeMemoryState(stateFile, {
      stemcells: { 'sc-1': { imagePath: '/x' } },
      vms: { 'vm-1': { agentId: 'a', stemcell: 'sc-1', disks: [], metadata: {}, reboots: 0 } },
      disks: { 'disk-1': { size: 1, vm: null, metadata: {} } },
      snapshots: {},
    });
    cpi = new Director(
      ws.writeConfig('no-legacy.json', {
        default_backend: 'metal',
        backends: { metal: memory(['openstack-qcow2'], stateFile), vms: memory(['vsphere-ova'], ws.path('solo-vms.json')) },
      }),
      ws.dir,
    );
  });

  const cases: [string, unknown[], string][] = [
    ['has_vm', ['nope:vm-1'], 'nope:vm-1'],
    ['has_vm', ['vm-1'], 'vm-1'],
    ['delete_vm', ['vm-1'], 'vm-1'],
    ['delete_disk', ['nope:disk-1'], 'nope:disk-1'],
    ['has_disk', ['disk-1'], 'disk-1'],
    ['delete_stemcell', ['sc-1'], 'sc-1'],
    ['attach_disk', ['metal:vm-1', 'disk-1'], 'disk-1'],
    ['create_disk', [1024, {}, 'nope:vm-1'], 'nope:vm-1'],
    ['create_vm', ['agent', 'sc-1', {}, {}, [], {}], 'sc-1'],
  ];
  for (const [method, args, cid] of cases) {
    it(`${method} with CID '${cid}' (unknown or no prefix) is a CpiError naming the CID`, async () => {
      const before = fs.readFileSync(stateFile, 'utf8');
      const error = await cpi.fails('Bosh::Clouds::CpiError', method, args);
      expect(error.message).toContain(`'${cid}'`);
      expect(fs.readFileSync(stateFile, 'utf8')).toBe(before);
    });
  }

  it('the same resources are reachable with their prefix', async () => {
    expect(await cpi.ok('has_vm', ['metal:vm-1'])).toBe(true);
    expect(await cpi.ok('has_disk', ['metal:disk-1'])).toBe(true);
  });
});

describe('a stemcell accepted by two backends', () => {
  const files = { metal: ws.path('c-metal.json'), rack: ws.path('c-rack.json') };
  let director: Director;
  const image = ws.image('composite-image');

  beforeAll(() => {
    director = new Director(
      ws.writeConfig('composite.json', {
        default_backend: 'metal',
        backends: { metal: memory(['openstack-qcow2', 'openstack-raw'], files.metal), rack: memory(['openstack-qcow2'], files.rack) },
      }),
      ws.dir,
    );
  });

  let composite = '';
  let parts: Record<string, string> = {};

  it('create_stemcell returns one composite CID, a JSON object with each backend’s part', async () => {
    composite = await director.ok<string>('create_stemcell', [image, OPENSTACK_QCOW2]);
    expect(composite.startsWith('{')).toBe(true);
    expect(composite.length).toBeLessThanOrEqual(255);
    parts = JSON.parse(composite) as Record<string, string>;
    expect(Object.keys(parts).sort()).toEqual(['metal', 'rack']);
    expect(parts['metal']).toMatch(new RegExp(`^sc-${UUID}$`));
    expect(parts['rack']).toMatch(new RegExp(`^sc-${UUID}$`));
    expect(Object.keys(readMemoryState(files.metal).stemcells)).toEqual([parts['metal']]);
    expect(Object.keys(readMemoryState(files.rack).stemcells)).toEqual([parts['rack']]);
  });

  it('a format only one of them accepts gives a plain prefixed CID', async () => {
    const raw = await director.ok<string>('create_stemcell', [image, { infrastructure: 'openstack', disk_format: 'raw' }]);
    expect(raw).toMatch(cidOf('metal', 'sc'));
    expect(await director.ok('delete_stemcell', [raw])).toBeNull();
  });

  it('create_vm with the composite CID works on each backend, using that backend’s part', async () => {
    const [onMetal] = await director.ok<[string]>('create_vm', ['agent-1', composite, {}, NETWORKS, [], {}]);
    const [onRack] = await director.ok<[string]>('create_vm', ['agent-2', composite, { backend: 'rack' }, NETWORKS, [], {}]);
    expect(onMetal).toMatch(cidOf('metal', 'vm'));
    expect(onRack).toMatch(cidOf('rack', 'vm'));
    expect(readMemoryState(files.metal).vms[native(onMetal)]?.stemcell).toBe(parts['metal']);
    expect(readMemoryState(files.rack).vms[native(onRack)]?.stemcell).toBe(parts['rack']);
    expect(await director.ok('delete_vm', [onMetal])).toBeNull();
    expect(await director.ok('delete_vm', [onRack])).toBeNull();
  });

  it('delete_stemcell of the composite CID deletes every part', async () => {
    expect(await director.ok('delete_stemcell', [composite])).toBeNull();
    expect(readMemoryState(files.metal).stemcells).toEqual({});
    expect(readMemoryState(files.rack).stemcells).toEqual({});
  });
});
