// The examples are part of the interface: every example config must load with the core's own
// loadConfig (the executable's built-in backends), and the example cloud-config must route each
// vm_type and disk_type to a configured backend whose own checks accept its cloud_properties.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { BackendRegistry, acceptsStemcell, loadConfig, silentLogger, type HybridConfig } from '@hybrid-cpi/core';
import { BUILTIN_BACKENDS } from '../../packages/cli/src/builtins.js';
import { requirementsOf } from '../../packages/backend-ironic/src/selection/requirements.js';
import { enrollParamsOf } from '../../packages/backend-ironic/src/node/enroll.js';

const EXAMPLES = path.resolve(import.meta.dirname, '../../examples');
/** Directories of example CPI configs (bosh-deployment/ holds manifests and ops files, not configs). */
const CONFIG_DIRS = ['configs', 'standalone-ironic'];
const configFiles = CONFIG_DIRS.flatMap((dir) =>
  fs
    .readdirSync(path.join(EXAMPLES, dir))
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .map((f) => `${dir}/${f}`),
);

const load = (file: string) => loadConfig(path.join(EXAMPLES, file), BUILTIN_BACKENDS);
const types = (config: HybridConfig) => Object.fromEntries([...config.backends].map(([name, b]) => [name, b.config.type]));

const HEAVY_OPENSTACK = { name: 'bosh-openstack-kvm-ubuntu-jammy-go_agent', version: '1.500', infrastructure: 'openstack', disk_format: 'qcow2' };
const VSPHERE = { name: 'bosh-vsphere-esxi-ubuntu-jammy-go_agent', version: '1.500', infrastructure: 'vsphere', disk_format: 'ovf' };
/** The backends `create_stemcell` of a stemcell with these cloud_properties reaches. */
const stemcellTargets = (config: HybridConfig, props: Record<string, unknown>) =>
  [...config.backends].filter(([, b]) => acceptsStemcell(b.module.stemcellFormats(b.config), props)).map(([name]) => name);

describe('example CPI configs', () => {
  it('are all found', () => {
    expect(configFiles.sort()).toEqual(
      [
        'configs/delegate-only.yml',
        'configs/ironic-only.yml',
        'configs/ironic-openstack.yml',
        'configs/ironic-vsphere.yml',
        'configs/two-ironic.json',
        'standalone-ironic/cpi-noauth.json',
        'standalone-ironic/cpi.yml',
      ].sort(),
    );
  });

  it.each(configFiles)('%s is valid', async (file) => {
    const config = await load(file);
    expect(config.backends.size).toBeGreaterThan(0);
    expect(config.backends.has(config.defaultBackend)).toBe(true);
  });

  it('cover each backend combination', async () => {
    expect(types(await load('configs/ironic-only.yml'))).toEqual({ metal: 'ironic' });
    expect(types(await load('configs/delegate-only.yml'))).toEqual({ vms: 'delegate' });
    expect(types(await load('configs/two-ironic.json'))).toEqual({ 'site-a': 'ironic', 'site-b': 'ironic' });

    const vsphere = await load('configs/ironic-vsphere.yml');
    expect(types(vsphere)).toEqual({ metal: 'ironic', vms: 'delegate' });
    expect(stemcellTargets(vsphere, HEAVY_OPENSTACK)).toEqual(['metal']);
    expect(stemcellTargets(vsphere, VSPHERE)).toEqual(['vms']);

    // Ironic and the OpenStack delegate share heavy OpenStack stemcells: one upload, both backends.
    const openstack = await load('configs/ironic-openstack.yml');
    expect(types(openstack)).toEqual({ metal: 'ironic', vms: 'delegate' });
    expect(stemcellTargets(openstack, HEAVY_OPENSTACK)).toEqual(['metal', 'vms']);
    expect(stemcellTargets(openstack, { ...HEAVY_OPENSTACK, disk_format: 'raw' })).toEqual(['metal', 'vms']);

    const twoSites = await load('configs/two-ironic.json');
    expect(stemcellTargets(twoSites, HEAVY_OPENSTACK)).toEqual(['site-a', 'site-b']);
  });

  it('the standalone examples use the standalone auth modes', async () => {
    const auth = async (file: string) => ((await load(file)).backends.get('metal' as never)!.config['ironic'] as { auth: { type: string } }).auth.type;
    expect(await auth('standalone-ironic/cpi.yml')).toBe('http_basic');
    expect(await auth('standalone-ironic/cpi-noauth.json')).toBe('noauth');
  });
});

interface CloudConfig {
  azs: { name: string; cloud_properties?: Record<string, unknown> }[];
  vm_types: { name: string; cloud_properties: Record<string, unknown> }[];
  disk_types: { name: string; disk_size: number; cloud_properties: Record<string, unknown> }[];
  networks: { name: string; type: string; subnets: { azs: string[]; cloud_properties: Record<string, unknown> }[] }[];
  compilation: { az: string; vm_type: string; network: string };
}

const SELECTORS = ['macs', 'nodes', 'ironic_properties', 'resource_class', 'traits', 'ironic_params'];
const MAC = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/;

describe('examples/cloud-config.yml with configs/ironic-vsphere.yml', () => {
  const cloud = YAML.parse(fs.readFileSync(path.join(EXAMPLES, 'cloud-config.yml'), 'utf8')) as CloudConfig;

  async function route(props: Record<string, unknown>, what: string): Promise<{ name: string; type: string }> {
    const config = await load('configs/ironic-vsphere.yml');
    // The router's own choice: cloud_properties.backend, else default_backend.
    const name = new BackendRegistry(config, silentLogger).fromCloudProperties(props, what);
    return { name, type: config.backends.get(name)!.config.type };
  }
  /** What the director passes to create_vm: the AZ's cloud_properties merged with the vm_type's. */
  const merged = (props: Record<string, unknown>) => ({ ...(cloud.azs[0]!.cloud_properties ?? {}), ...props });

  it('has one AZ that every network and the compilation use', () => {
    expect(cloud.azs.map((a) => a.name)).toEqual(['z1']);
    for (const network of cloud.networks) for (const subnet of network.subnets) expect(subnet.azs).toEqual(['z1']);
    expect(cloud.compilation.az).toBe('z1');
  });

  it('routes every vm_type to a configured backend: Ironic selectors to ironic, the rest to the vSphere delegate', async () => {
    for (const vmType of cloud.vm_types) {
      const props = merged(vmType.cloud_properties);
      const target = await route(props, `vm_type ${vmType.name}`);
      const isMetal = SELECTORS.some((k) => k in vmType.cloud_properties);
      expect([vmType.name, target.type]).toEqual([vmType.name, isMetal ? 'ironic' : 'delegate']);
      if (isMetal) {
        // The Ironic backend's own readers accept the selectors (they throw CPX_ARGUMENTS otherwise).
        expect(() => requirementsOf(props), vmType.name).not.toThrow();
        expect(() => enrollParamsOf(props), vmType.name).not.toThrow();
      }
    }
  });

  it('has a bare-metal vm_type for each Ironic selector', () => {
    for (const selector of SELECTORS) {
      expect(
        cloud.vm_types.some((t) => selector in t.cloud_properties),
        selector,
      ).toBe(true);
    }
    const enroll = cloud.vm_types.find((t) => 'ironic_params' in t.cloud_properties)!;
    expect(enrollParamsOf(enroll.cloud_properties)).toMatchObject({ driver: 'redfish' });
    expect(requirementsOf(cloud.vm_types.find((t) => t.name === 'metal-large')!.cloud_properties).minimums).toEqual({
      cpus: 32,
      memory_mb: 262144,
      local_gb: 800,
      cpu_arch: 'x86_64',
    });
  });

  it('compiles on a vm_type that exists', async () => {
    const vmType = cloud.vm_types.find((t) => t.name === cloud.compilation.vm_type);
    expect(vmType).toBeDefined();
    expect((await route(vmType!.cloud_properties, 'compilation')).name).toBe('vms');
    expect(cloud.networks.map((n) => n.name)).toContain(cloud.compilation.network);
  });

  it('routes every disk_type to a configured backend', async () => {
    const routes = Object.fromEntries(
      await Promise.all(cloud.disk_types.map(async (d) => [d.name, (await route(d.cloud_properties, `disk_type ${d.name}`)).type])),
    );
    expect(routes).toEqual({ 'vm-100g': 'delegate', 'metal-local': 'ironic', 'metal-nvme': 'ironic' });
  });

  it('says which NIC each network of a bare-metal server uses', () => {
    // Several networks on one server: the agent ignores a network without a MAC, so each needs
    // cloud_properties.macs (valid, lower-case after the CPI reads them) or physical_network.
    for (const network of cloud.networks) {
      for (const subnet of network.subnets) {
        const props = subnet.cloud_properties;
        expect('macs' in props || typeof props['physical_network'] === 'string', network.name).toBe(true);
        for (const mac of (props['macs'] as string[] | undefined) ?? []) expect(mac.toLowerCase()).toMatch(MAC);
      }
    }
  });
});
