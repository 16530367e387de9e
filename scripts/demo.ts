// The demo: a BOSH director's view of a hybrid deployment, driven through the built hybrid-cpi
// executable exactly as the director drives its CPI (a new process per call, `info` first, the
// director's bare environment). The bare-metal side is a real Ironic on loopback with three
// fake-hardware servers (and a persistent disk on a local device of one of them); the VM side is
// a `memory` backend until the delegate backend lands.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startIronic } from '../test/support/ironic-lab.ts';
import { LOCAL_DISKS, api, enrollFakeNodes } from '../test/support/ironic-nodes.ts';

const root = path.resolve(import.meta.dirname, '..');
const exe = path.join(root, 'packages/cli/dist/hybrid-cpi');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hybrid-cpi-demo-'));

console.log('starting a real Ironic on loopback and enrolling three servers…');
const lab = await startIronic();
try {
  const servers = await enrollFakeNodes(lab, 3, (i) => ({
    name: ['rack1-u10', 'rack1-u12', 'rack2-u04'][i],
    resourceClass: 'baremetal',
    properties: { memory_mb: [262144, 131072, 65536][i]!, cpus: [64, 32, 16][i]!, local_gb: 1800, cpu_arch: 'x86_64', disks: LOCAL_DISKS },
    traits: i === 0 ? ['CUSTOM_NVME'] : [],
  }));
  const config = path.join(dir, 'cpi.json');
  fs.writeFileSync(config, JSON.stringify({
    default_backend: 'metal',
    agent: { mbus: 'nats://10.0.0.6:4222', ntp: ['0.pool.ntp.org'] },
    backends: {
      metal: { type: 'ironic', ironic: { url: lab.url, auth: { type: 'noauth' } }, nameservers: ['10.0.0.2'] },
      vms: { type: 'memory', stemcell_formats: ['vsphere-ova', 'vsphere-ovf'], state_file: path.join(dir, 'vms-state.json') },
    },
  }, null, 2));
  const image = path.join(dir, 'image');
  fs.writeFileSync(image, 'stemcell image');

  let counter = 100000;
  /** One CPI call the way the director makes it: `info` first, then the method. */
  const call = (method: string, args: unknown[]): any => {
    const context = { director_uuid: 'demo-director', request_id: `cpi-${++counter}` };
    let result: unknown;
    for (const [m, a, v] of [['info', [], undefined], [method, args, 2]] as const) {
      const request = JSON.stringify({ method: m, arguments: a, context, ...(v === undefined ? {} : { api_version: v }) });
      const started = process.hrtime.bigint();
      const run = spawnSync(exe, ['--config', config], { input: request, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', TMPDIR: dir, HOME: dir } });
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (run.error !== undefined) throw new Error(`running ${exe} for ${m}: ${run.error.message}`);
      const response = JSON.parse(run.stdout.toString());
      if (run.status !== 0 || response.error !== null) {
        console.error(run.stderr.toString());
        throw new Error(`${m} failed: ${JSON.stringify(response.error)}`);
      }
      if (m === 'info') continue;
      result = response.result;
      const cid = Array.isArray(result) ? result[0] : typeof result === 'string' ? result : JSON.stringify(result);
      const backend = String(response.log).split(' → ')[1]?.split(':')[0];
      console.log(`${method.padEnd(22)} ${String(backend).padEnd(7)} ${String(cid).padEnd(60)} ${ms.toFixed(0).padStart(5)} ms`);
    }
    return result;
  };

  console.log(`\nconfig: ${config}\n`);
  console.log(`${'method'.padEnd(22)} ${'backend'.padEnd(7)} ${'result'.padEnd(60)} ${'time'.padStart(8)}`);
  const digest = createHash('sha256').update('stemcell image').digest('hex');
  const metalStemcell = call('create_stemcell', [image, { name: 'bosh-openstack-kvm-ubuntu-jammy-go_agent', infrastructure: 'openstack', disk_format: 'qcow2', image_url: 'http://10.0.0.5:8080/images/jammy.qcow2', image_checksum: `sha256:${digest}` }]);
  const vmStemcell = call('create_stemcell', [image, { name: 'bosh-vsphere-esxi-ubuntu-jammy-go_agent', infrastructure: 'vsphere', disk_format: 'ovf' }]);
  const network = (ip: string) => ({ default: { type: 'manual', ip, netmask: '255.255.255.0', gateway: '10.0.0.1', default: ['dns', 'gateway'], cloud_properties: {} } });
  const [db] = call('create_vm', ['agent-db-0', metalStemcell, { backend: 'metal', traits: ['CUSTOM_NVME'] }, network('10.0.0.20'), [], { bosh: { group: 'demo-db' } }]);
  const [cell] = call('create_vm', ['agent-cell-0', metalStemcell, { backend: 'metal', ironic_properties: { memory_mb: 100000 } }, network('10.0.0.21'), [], { bosh: { group: 'demo-cell' } }]);
  const [web] = call('create_vm', ['agent-web-0', vmStemcell, { backend: 'vms' }, network('10.0.0.30'), [], { bosh: { group: 'demo-web' } }]);
  for (const [vm, job] of [[db, 'db'], [cell, 'cell'], [web, 'web']]) call('set_vm_metadata', [vm, { director: 'demo', deployment: 'demo', job, index: '0' }]);
  const disk = call('create_disk', [102400, {}, db]);
  call('attach_disk', [db, disk]);
  call('set_disk_metadata', [disk, { director: 'demo', deployment: 'demo', instance_group: 'db' }]);
  call('reboot_vm', [cell]);
  call('has_vm', [db]);

  const show = async (title: string) => {
    console.log(`\n${title}`);
    console.log(`  ${'node'.padEnd(10)} ${'provision'.padEnd(10)} ${'power'.padEnd(10)} ${'claim (instance_uuid)'.padEnd(38)} ${'job'.padEnd(6)} disks`);
    for (const s of servers) {
      const n = await api(lab, 'GET', `/v1/nodes/${s.uuid}`);
      const job = (n.extra?.bosh_vm?.metadata?.job as string | undefined) ?? '';
      const disks = Object.values((n.extra?.bosh_disks ?? {}) as Record<string, { device: string }>).map((d) => d.device).join(', ');
      console.log(`  ${String(n.name).padEnd(10)} ${String(n.provision_state).padEnd(10)} ${String(n.power_state).padEnd(10)} ${String(n.instance_uuid ?? '-').padEnd(38)} ${job.padEnd(6)} ${disks}`);
    }
  };
  await show('Ironic nodes while deployed:');
  console.log('');
  call('detach_disk', [db, disk]);
  call('delete_disk', [disk]);
  for (const vm of [db, cell, web]) call('delete_vm', [vm]);
  for (const stemcell of [metalStemcell, vmStemcell]) call('delete_stemcell', [stemcell]);
  await show('Ironic nodes after the clean-up, all back in the pool:');
} finally {
  await lab.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}
