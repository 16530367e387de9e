// The demo: a BOSH director's view of a hybrid deployment, driven through the built hybrid-cpi
// executable exactly as the director drives its CPI (a new process per call, `info` first, the
// director's bare environment). Until the Ironic and delegate backends land, both sides are
// `memory` backends: "metal" stands for the bare-metal servers, "vms" for the VMs.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const exe = path.join(root, 'packages/cli/dist/hybrid-cpi');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hybrid-cpi-demo-'));
const state = (name) => path.join(dir, `${name}-state.json`);
const config = path.join(dir, 'cpi.json');
fs.writeFileSync(config, JSON.stringify({
  default_backend: 'metal',
  agent: { mbus: 'nats://10.0.0.6:4222', ntp: ['0.pool.ntp.org'] },
  backends: {
    metal: { type: 'memory', stemcell_formats: ['openstack-qcow2', 'openstack-raw'], state_file: state('metal') },
    vms: { type: 'memory', stemcell_formats: ['openstack-qcow2', 'vsphere-ova', 'vsphere-ovf'], state_file: state('vms') },
  },
}, null, 2));
const image = path.join(dir, 'image');
fs.writeFileSync(image, 'stemcell image');

let counter = 100000;
/** One CPI call the way the director makes it: `info` first, then the method. */
function call(method, args, apiVersion = 2) {
  const context = { director_uuid: 'demo-director', request_id: `cpi-${++counter}` };
  for (const [m, a, v] of [['info', [], undefined], [method, args, apiVersion]]) {
    const request = JSON.stringify({ method: m, arguments: a, context, ...(v === undefined ? {} : { api_version: v }) });
    const started = process.hrtime.bigint();
    const run = spawnSync(exe, ['--config', config], { input: request, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', TMPDIR: dir, HOME: dir } });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const response = JSON.parse(run.stdout.toString());
    if (run.status !== 0 || response.error !== null) {
      console.error(run.stderr.toString());
      throw new Error(`${m} failed: ${JSON.stringify(response.error)}`);
    }
    if (m === 'info') continue;
    const result = response.result;
    const cid = Array.isArray(result) ? result[0] : typeof result === 'string' ? result : JSON.stringify(result);
    const backend = response.log.split(' → ')[1]?.split(':')[0];
    console.log(`${method.padEnd(30)} ${backend.padEnd(10)} ${String(cid).padEnd(58)} ${ms.toFixed(0).padStart(4)} ms`);
    return result;
  }
}

console.log(`config: ${config}\n`);
console.log(`${'method'.padEnd(30)} ${'backend'.padEnd(10)} ${'result'.padEnd(58)} time`);
const stemcell = call('create_stemcell', [image, { name: 'bosh-openstack-kvm-ubuntu-jammy-go_agent', infrastructure: 'openstack', disk_format: 'qcow2' }]);
const network = { default: { type: 'manual', ip: '10.0.0.20', netmask: '255.255.255.0', gateway: '10.0.0.1', default: ['dns', 'gateway'], cloud_properties: {} } };
const [db] = call('create_vm', ['agent-db-0', stemcell, { backend: 'metal' }, network, [], { bosh: { group: 'demo-db' } }]);
const [cell] = call('create_vm', ['agent-cell-0', stemcell, { backend: 'metal' }, network, [], { bosh: { group: 'demo-cell' } }]);
const [web] = call('create_vm', ['agent-web-0', stemcell, { backend: 'vms' }, network, [], { bosh: { group: 'demo-web' } }]);
for (const [vm, job] of [[db, 'db'], [cell, 'cell'], [web, 'web']]) call('set_vm_metadata', [vm, { director: 'demo', deployment: 'demo', job, index: '0' }]);
const disk = call('create_disk', [10240, {}, db]);
call('attach_disk', [db, disk]);
call('set_disk_metadata', [disk, { director: 'demo', deployment: 'demo', instance_group: 'db' }]);
call('reboot_vm', [cell]);
call('has_vm', [web]);
call('detach_disk', [db, disk]);
call('delete_disk', [disk]);
for (const vm of [db, cell, web]) call('delete_vm', [vm]);
call('delete_stemcell', [stemcell]);

console.log('\nbackend state after the clean-up:');
for (const name of ['metal', 'vms']) {
  const s = JSON.parse(fs.readFileSync(state(name), 'utf8'));
  console.log(`  ${name.padEnd(6)} stemcells ${Object.keys(s.stemcells).length}, VMs ${Object.keys(s.vms).length}, disks ${Object.keys(s.disks).length}`);
}
fs.rmSync(dir, { recursive: true, force: true });
