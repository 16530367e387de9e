// Result shapes per CPI API version (docs/architecture.md#the-protocol): a request without api_version
// (or with 1) gets v1 shapes; 2 and 3 get v2 shapes; v3 adds create_stemcell's tags argument.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cpi, Workspace, readMemoryState } from './helpers/cpi.js';

const ws = new Workspace('api-versions');
afterAll(() => ws.cleanup());

const stateFile = ws.path('metal.json');
const cpi = new Cpi(
  ws.writeConfig('cpi.json', { backends: { metal: { type: 'memory', stemcell_formats: ['openstack-qcow2'], state_file: stateFile } } }),
  ws.dir,
);
const image = ws.image('image');
const STEMCELL_PROPS = { infrastructure: 'openstack', disk_format: 'qcow2' };
const NETWORKS = {
  private: {
    type: 'manual',
    ip: '10.0.0.10',
    netmask: '255.255.255.0',
    prefix: '32',
    gateway: '10.0.0.1',
    default: ['dns', 'gateway'],
    dns: ['10.0.0.2'],
    cloud_properties: { net_id: 'n-1' },
  },
  public: { type: 'vip', ip: '203.0.113.7', prefix: '32', cloud_properties: {} },
};
const VM_CID = /^metal:vm-[0-9a-f-]{36}$/;

let stemcell = '';
beforeAll(async () => {
  stemcell = await cpi.ok<string>('create_stemcell', [image, STEMCELL_PROPS]);
});

const createVm = (agent: string, apiVersion?: number) =>
  cpi.ok('create_vm', [agent, stemcell, {}, NETWORKS, [], {}], apiVersion === undefined ? {} : { apiVersion });

describe('create_vm', () => {
  it('returns the VM CID as a string without api_version (v1)', async () => {
    const result = await createVm('agent-v1');
    expect(result).toEqual(expect.stringMatching(VM_CID));
  });

  it('returns the VM CID as a string with api_version 1', async () => {
    expect(await createVm('agent-v1b', 1)).toEqual(expect.stringMatching(VM_CID));
  });

  for (const apiVersion of [2, 3]) {
    it(`returns [cid, networks] with api_version ${apiVersion}, networks equal to the argument`, async () => {
      const result = await createVm(`agent-v${apiVersion}`, apiVersion);
      expect(Array.isArray(result)).toBe(true);
      const [cid, networks, ...rest] = result as unknown[];
      expect(cid).toEqual(expect.stringMatching(VM_CID));
      expect(networks).toEqual(NETWORKS);
      expect(rest).toEqual([]);
      expect(readMemoryState(stateFile).vms[(cid as string).slice('metal:'.length)]?.agentId).toBe(`agent-v${apiVersion}`);
    });
  }
});

describe('attach_disk', () => {
  const vmAndDisk = async () => {
    const vm = (await createVm('agent-attach', 2)) as [string];
    const disk = await cpi.ok<string>('create_disk', [1024, {}, vm[0]]);
    return { vm: vm[0], disk };
  };

  it('returns null without api_version (v1), and the disk is attached', async () => {
    const { vm, disk } = await vmAndDisk();
    expect(await cpi.ok('attach_disk', [vm, disk])).toBeNull();
    expect(readMemoryState(stateFile).disks[disk.slice('metal:'.length)]?.vm).toBe(vm.slice('metal:'.length));
  });

  for (const apiVersion of [2, 3]) {
    it(`returns a non-empty disk hint with api_version ${apiVersion}`, async () => {
      const { vm, disk } = await vmAndDisk();
      const hint = await cpi.ok('attach_disk', [vm, disk], { apiVersion });
      // The director raises AttachDiskResponseError on a null or empty hint.
      expect(hint).not.toBeNull();
      expect(hint).not.toBe('');
      if (typeof hint === 'object') expect(Object.keys(hint as object).length).toBeGreaterThan(0);
      else expect(typeof hint).toBe('string');
    });
  }
});

describe('create_stemcell', () => {
  it('accepts the v3 third argument {"tags": {...}}', async () => {
    const cid = await cpi.ok<string>('create_stemcell', [image, STEMCELL_PROPS, { tags: { a: 'b', director: 'bosh' } }], { apiVersion: 3 });
    expect(cid).toMatch(/^metal:sc-/);
    expect(readMemoryState(stateFile).stemcells[cid.slice('metal:'.length)]).toEqual({ imagePath: image });
  });

  it('accepts the v3 request without the third argument', async () => {
    expect(await cpi.ok<string>('create_stemcell', [image, STEMCELL_PROPS], { apiVersion: 3 })).toMatch(/^metal:sc-/);
  });
});

describe('info', () => {
  it('reports api_version 2 for requests of api_version 1, 2 and 3', async () => {
    for (const apiVersion of [undefined, 1, 2, 3]) {
      const result = await cpi.ok<{ api_version: number }>('info', [], apiVersion === undefined ? {} : { apiVersion });
      expect(result.api_version).toBe(2);
    }
  });
});

describe('unsupported api_version', () => {
  it('api_version 4 is NotImplemented, for info and for create_vm, and creates nothing', async () => {
    const vmsBefore = Object.keys(readMemoryState(stateFile).vms).length;
    await cpi.fails('Bosh::Clouds::NotImplemented', 'info', [], { apiVersion: 4 });
    const error = await cpi.fails('Bosh::Clouds::NotImplemented', 'create_vm', ['agent-v4', stemcell, {}, NETWORKS, [], {}], { apiVersion: 4 });
    expect(error.message).toMatch(/\b4\b/);
    expect(Object.keys(readMemoryState(stateFile).vms).length).toBe(vmsBefore);
  });

  it('a non-integer api_version (1.5, "2") is a CpiError', async () => {
    for (const apiVersion of [1.5, '2'] as unknown as number[]) {
      const error = await cpi.fails('Bosh::Clouds::CpiError', 'info', [], { apiVersion });
      expect(error.message).toContain('api_version');
    }
    await cpi.fails('Bosh::Clouds::CpiError', 'has_vm', ['metal:vm-1'], { apiVersion: '2' as unknown as number });
  });
});
