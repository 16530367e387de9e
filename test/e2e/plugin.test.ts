// The example backend plugin (examples/plugin-example, built by scripts/build.mjs) loaded by the
// built executable as an npm package: installed next to the config file, or in a directory named
// by plugin_paths. `npm install <folder>` links the package the same way these tests do.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Director, REPO_ROOT, Workspace, describeRun, runCpi } from './helpers/cpi.js';

const PLUGIN = path.join(REPO_ROOT, 'examples/plugin-example');
const TYPE = 'hybrid-cpi-backend-example';
const ws = new Workspace('plugin');
afterAll(() => ws.cleanup());

/** Links the example package into `<dir>/node_modules`, as `npm install <folder>` does. */
function install(dir: string): void {
  fs.mkdirSync(path.join(dir, 'node_modules'), { recursive: true });
  fs.symlinkSync(PLUGIN, path.join(dir, 'node_modules', TYPE), 'dir');
}

const OPENSTACK_QCOW2 = { name: 'bosh-openstack-kvm-ubuntu-jammy-go_agent', version: '1.500', infrastructure: 'openstack', disk_format: 'qcow2' };
const NETWORKS = { default: { type: 'dynamic', cloud_properties: {}, default: ['dns', 'gateway'] } };
const records = (dir: string, kind: string) => (fs.existsSync(path.join(dir, kind)) ? fs.readdirSync(path.join(dir, kind)).sort() : []);

describe('the example plugin in the built executable', () => {
  beforeAll(() => {
    expect(fs.existsSync(path.join(PLUGIN, 'dist/index.js')), 'examples/plugin-example is built by `node scripts/build.mjs`').toBe(true);
  });

  it('loads from node_modules next to the config file and runs a VM lifecycle', async () => {
    const configDir = ws.path('next-to-config');
    const store = ws.path('next-to-config-records');
    fs.mkdirSync(configDir);
    install(configDir);
    const config = path.join(configDir, 'cpi.json');
    fs.writeFileSync(config, JSON.stringify({ backends: { demo: { type: TYPE, directory: store, stemcell_formats: ['openstack-qcow2'] } } }));
    const director = new Director(config, ws.dir);

    expect(await director.ok('info', [])).toEqual({ api_version: 2, stemcell_formats: ['openstack-qcow2'] });
    const stemcell = await director.ok<string>('create_stemcell', [ws.image('image'), OPENSTACK_QCOW2]);
    expect(stemcell).toMatch(/^demo:sc-[0-9a-f-]{36}$/);
    const [vm, networks] = await director.ok<[string, unknown]>('create_vm', ['agent-1', stemcell, {}, NETWORKS, [], {}]);
    expect(vm).toMatch(/^demo:vm-[0-9a-f-]{36}$/);
    expect(networks).toEqual(NETWORKS);
    // The record the plugin wrote, under the native CID (the core removed the prefix).
    expect(records(store, 'vms')).toEqual([`${vm.slice('demo:'.length)}.json`]);
    expect(JSON.parse(fs.readFileSync(path.join(store, 'vms', `${vm.slice('demo:'.length)}.json`), 'utf8'))).toMatchObject({
      agent_id: 'agent-1',
      stemcell: stemcell.slice('demo:'.length),
    });

    const disk = await director.ok<string>('create_disk', [1024, {}, vm]);
    expect(await director.ok('attach_disk', [vm, disk])).toEqual({ path: `/dev/disk/by-id/example-${disk.slice('demo:'.length)}` });
    expect(await director.ok('get_disks', [vm])).toEqual([disk]);
    expect(await director.ok('has_vm', [vm])).toBe(true);
    // Optional methods the plugin leaves out are answered by the core.
    expect((await director.fails('Bosh::Clouds::NotImplemented', 'snapshot_disk', [disk, {}])).message).toContain('snapshot');
    expect(await director.fails('Bosh::Clouds::NotSupported', 'resize_disk', [disk, 2048])).toBeTruthy();
    // Errors the plugin raises from the catalogue reach the director with their type.
    expect((await director.fails('Bosh::Clouds::VMNotFound', 'reboot_vm', ['demo:vm-00000000-0000-4000-8000-000000000000'])).message).toContain(
      'does not exist',
    );

    await director.ok('detach_disk', [vm, disk]);
    await director.ok('delete_disk', [disk]);
    await director.ok('delete_vm', [vm]);
    expect(await director.ok('has_vm', [vm])).toBe(false);
    await director.ok('delete_stemcell', [stemcell]);
    expect([...records(store, 'vms'), ...records(store, 'disks'), ...records(store, 'stemcells')]).toEqual([]);
  });

  it('loads from a directory named by plugin_paths, next to a built-in backend', async () => {
    const plugins = ws.path('plugins');
    const store = ws.path('plugin-paths-records');
    install(plugins);
    const configDir = ws.path('elsewhere');
    fs.mkdirSync(configDir);
    const config = path.join(configDir, 'cpi.json');
    fs.writeFileSync(
      config,
      JSON.stringify({
        default_backend: 'vms',
        plugin_paths: [plugins],
        backends: {
          vms: { type: 'memory', stemcell_formats: ['vsphere-ovf'], state_file: ws.path('memory.json') },
          demo: { type: TYPE, directory: store, stemcell_formats: ['openstack-qcow2'] },
        },
      }),
    );
    const director = new Director(config, ws.dir);
    const stemcell = await director.ok<string>('create_stemcell', [ws.image('image-2'), OPENSTACK_QCOW2]);
    expect(stemcell).toMatch(/^demo:sc-/);
    // cloud_properties.backend routes to the plugin; without it, to the default (memory) backend.
    const [vm] = await director.ok<[string]>('create_vm', ['agent-2', stemcell, { backend: 'demo' }, NETWORKS, [], {}]);
    expect(vm).toMatch(/^demo:vm-/);
    expect(records(store, 'vms')).toHaveLength(1);
    const error = await director.fails('Bosh::Clouds::CloudError', 'create_vm', ['agent-3', stemcell, {}, NETWORKS, [], {}]);
    expect(error.message).toContain(`stemcell '${stemcell}' has no image in 'vms'`);
  });

  it('reports a plugin section that breaks its schema, with the key path', async () => {
    const configDir = ws.path('bad-config');
    fs.mkdirSync(configDir);
    install(configDir);
    const config = path.join(configDir, 'cpi.json');
    fs.writeFileSync(config, JSON.stringify({ backends: { demo: { type: TYPE, stemcell_formats: [], colour: 'red' } } }));
    const run = await runCpi(config, { method: 'has_vm', arguments: ['demo:vm-1'], context: {}, api_version: 2 }, { tmp: ws.dir });
    const response = JSON.parse(run.stdout) as { error: { type: string; message: string } };
    expect(response.error.type, describeRun(run)).toBe('Bosh::Clouds::CpiError');
    expect(response.error.message).toContain('backends.demo.directory: is required');
    expect(response.error.message).toContain('backends.demo.colour: is not a known key');
    expect(response.error.message).toContain('backends.demo.stemcell_formats: must NOT have fewer than 1 items');
  });
});
