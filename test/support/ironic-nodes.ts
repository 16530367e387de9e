// Enrolls fake-hardware nodes in an Ironic lab, the way an operator would enroll servers:
// node, ports, manage, provide, and a power state (real hardware gets one when Ironic first
// reads its BMC; create_vm and the Allocation API skip nodes without one).
import { randomBytes, randomUUID } from 'node:crypto';
import type { IronicLab } from './ironic-lab.js';

export interface FakeNodeSpec {
  readonly name?: string;
  readonly resourceClass?: string;
  readonly traits?: readonly string[];
  readonly properties?: Readonly<Record<string, unknown>>;
  /** Port MACs; one random MAC when absent. */
  readonly macs?: readonly string[];
  readonly physicalNetworks?: readonly (string | undefined)[];
  readonly conductorGroup?: string;
  /** The node's shard (API 1.82). */
  readonly shard?: string;
  /** Leave the node in this state instead of `available`. */
  readonly stopAt?: 'enroll' | 'manageable';
  readonly powerState?: 'power off' | null;
}

export interface FakeNode {
  readonly uuid: string;
  readonly name: string;
  readonly macs: readonly string[];
}

const GiB = 2 ** 30;
/** Four local disks (root, ephemeral, two for persistent disks), as an operator declares them. */
export const LOCAL_DISKS = [
  { name: '/dev/sda', size: 240 * GiB, serial: 'S1ROOT' },
  { name: '/dev/sdb', size: 480 * GiB, serial: 'S2EPHEMERAL' },
  { name: '/dev/sdc', size: 960 * GiB, serial: 'S3DATA', wwn: '0x5000c500a1b2c3d4' },
  { name: '/dev/sdd', size: 100 * GiB, serial: 'S4SMALL', by_path: '/dev/disk/by-path/pci-0000:00:1f.2-ata-4' },
];

export function randomMac(): string {
  const bytes = randomBytes(3);
  return `52:54:00:${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
}

export async function api(lab: IronicLab, method: string, path: string, body?: unknown): Promise<any> {
  const response = await fetch(`${lab.url}${path}`, { method, headers: lab.headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
  return text === '' ? undefined : JSON.parse(text);
}

export async function waitFor(lab: IronicLab, uuid: string, state: string, timeoutMs = 60_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const node = await api(lab, 'GET', `/v1/nodes/${uuid}`);
    if (node.provision_state === state && node.target_provision_state === null && node.reservation === null) return node;
    if (Date.now() > deadline) throw new Error(`node ${uuid} is '${node.provision_state}', not '${state}', after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function waitForPower(lab: IronicLab, uuid: string, state: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const node = await api(lab, 'GET', `/v1/nodes/${uuid}?fields=power_state,target_power_state`);
    if (node.power_state === state && node.target_power_state === null) return;
    if (Date.now() > deadline) throw new Error(`node ${uuid} has power state '${node.power_state}', not '${state}', after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function enrollFakeNode(lab: IronicLab, spec: FakeNodeSpec = {}): Promise<FakeNode> {
  const name = spec.name ?? `node-${randomUUID().slice(0, 8)}`;
  const node = await api(lab, 'POST', '/v1/nodes', {
    name,
    driver: 'fake-hardware',
    ...(spec.resourceClass ? { resource_class: spec.resourceClass } : {}),
    ...(spec.conductorGroup ? { conductor_group: spec.conductorGroup } : {}),
    ...(spec.shard ? { shard: spec.shard } : {}),
    properties: spec.properties ?? { memory_mb: 8192, cpus: 4, local_gb: 100, cpu_arch: 'x86_64', disks: LOCAL_DISKS },
  });
  const macs = spec.macs ?? [randomMac()];
  for (const [i, address] of macs.entries()) {
    const physical = spec.physicalNetworks?.[i];
    await api(lab, 'POST', '/v1/ports', { node_uuid: node.uuid, address, ...(physical ? { physical_network: physical } : {}) });
  }
  if (spec.traits?.length) await api(lab, 'PUT', `/v1/nodes/${node.uuid}/traits`, { traits: spec.traits });
  if (spec.stopAt !== 'enroll') {
    await api(lab, 'PUT', `/v1/nodes/${node.uuid}/states/provision`, { target: 'manage' });
    await waitFor(lab, node.uuid, 'manageable');
    if (spec.stopAt !== 'manageable') {
      await api(lab, 'PUT', `/v1/nodes/${node.uuid}/states/provision`, { target: 'provide' });
      await waitFor(lab, node.uuid, 'available');
    }
  }
  if (spec.powerState !== null) {
    // The power change is asynchronous; a node whose power state Ironic has not read yet is no
    // candidate for create_vm (nor for the Allocation API), so wait until it has one.
    await api(lab, 'PUT', `/v1/nodes/${node.uuid}/states/power`, { target: 'power off' });
    await waitForPower(lab, node.uuid, 'power off');
  }
  return { uuid: node.uuid, name, macs };
}

/** Enrolls `count` nodes, a few at a time (the lab is one process on two cores). */
export async function enrollFakeNodes(lab: IronicLab, count: number, spec: (i: number) => FakeNodeSpec = () => ({}), concurrency = 4): Promise<FakeNode[]> {
  const nodes: FakeNode[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const i = next++;
        nodes[i] = await enrollFakeNode(lab, spec(i));
      }
    }),
  );
  return nodes;
}

/** Deletes nodes, undeploying any that a failed test left deployed. */
export async function removeNodes(lab: IronicLab, uuids: readonly string[]): Promise<void> {
  for (const uuid of uuids) {
    const node = await api(lab, 'GET', `/v1/nodes/${uuid}`).catch(() => undefined);
    if (node === undefined) continue;
    if (node.maintenance) await api(lab, 'DELETE', `/v1/nodes/${uuid}/maintenance`);
    if (node.provision_state === 'active' || node.provision_state === 'deploy failed') {
      await api(lab, 'PUT', `/v1/nodes/${uuid}/states/provision`, { target: 'deleted' });
      await waitFor(lab, uuid, 'available');
    }
    await api(lab, 'DELETE', `/v1/nodes/${uuid}`);
  }
}
