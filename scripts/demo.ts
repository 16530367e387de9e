// The demo: a BOSH director's view of a hybrid deployment, driven through the built hybrid-cpi
// executable exactly as the director drives its CPI (a new process per call, `info` first, the
// director's bare environment). The bare-metal side is a real Ironic on loopback with three
// fake-hardware servers, stemcell images in a real WebDAV store (nginx), and a persistent disk on
// a local device of one server; the VM side is a delegate backend running another CPI executable
// (the project's test fixture stands in for the vSphere CPI).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatTable } from '../packages/cli/src/commands/table.ts';
import { startIronic } from '../test/support/ironic-lab.ts';
import { LOCAL_DISKS, api, enrollFakeNodes } from '../test/support/ironic-nodes.ts';
import { startWebDav } from '../test/support/webdav-lab.ts';

const root = path.resolve(import.meta.dirname, '..');
const exe = path.join(root, 'packages/cli/dist/hybrid-cpi');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hybrid-cpi-demo-'));

console.log('starting a real Ironic and a WebDAV image store on loopback, enrolling three servers…');
const lab = await startIronic();
// Ironic fetches images without credentials: the store lets anyone read and only the CPI write.
const store = await startWebDav({ anonymousRead: true });
try {
  const servers = await enrollFakeNodes(lab, 3, (i) => ({
    name: ['rack1-u10', 'rack1-u12', 'rack2-u04'][i],
    resourceClass: 'baremetal',
    properties: { memory_mb: [262144, 131072, 65536][i]!, cpus: [64, 32, 16][i]!, local_gb: 1800, cpu_arch: 'x86_64', disks: LOCAL_DISKS },
    traits: i === 0 ? ['CUSTOM_NVME'] : [],
  }));
  const config = path.join(dir, 'cpi.json');
  fs.writeFileSync(
    config,
    JSON.stringify(
      {
        default_backend: 'metal',
        agent: { mbus: 'nats://10.0.0.6:4222', ntp: ['0.pool.ntp.org'] },
        backends: {
          metal: {
            type: 'ironic',
            ironic: { url: lab.url, auth: { type: 'noauth' } },
            image_store: { type: 'webdav', url: `${store.url}/images`, username: store.username, password: store.password },
            nameservers: ['10.0.0.2'],
          },
          vms: {
            type: 'delegate',
            command: [
              path.join(root, 'test/fixtures/fake-cpi/fake-cpi.mjs'),
              '--state',
              path.join(dir, 'vsphere-cpi'),
              '--formats',
              'openstack-qcow2,vsphere-ova',
            ],
            stemcell_formats: ['openstack-qcow2', 'vsphere-ova'],
            api_version: 2,
          },
        },
      },
      null,
      2,
    ),
  );
  // A heavy OpenStack stemcell's `image`: a gzipped tar holding root.img (8 MiB here).
  fs.mkdirSync(path.join(dir, 'stemcell'));
  fs.writeFileSync(path.join(dir, 'stemcell/root.img'), Buffer.alloc(8 << 20, 'bosh'));
  const image = path.join(dir, 'image');
  const tar = spawnSync('tar', ['-czf', image, '-C', path.join(dir, 'stemcell'), 'root.img']);
  if (tar.status !== 0) throw new Error(`packing the demo stemcell: ${tar.stderr}`);

  const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', TMPDIR: dir, HOME: dir };
  // What an operator runs first: every backend reached, the image store tried both ways it is used.
  console.log(`\n$ hybrid-cpi doctor --config ${config}`);
  const doctor = spawnSync(exe, ['doctor', '--config', config], { env, encoding: 'utf8' });
  process.stdout.write(doctor.stdout + doctor.stderr);
  if (doctor.status !== 0) throw new Error(`hybrid-cpi doctor found problems (exit ${doctor.status})`);

  /** A cell of the streamed call table: cut to its column (with …) or padded, so columns stay aligned. */
  const column = (text: string, width: number) => (text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width));
  let counter = 100000;
  /** One CPI call the way the director makes it: `info` first, then the method. */
  const call = <T = unknown>(method: string, args: unknown[]): T => {
    const context = { director_uuid: 'demo-director', request_id: `cpi-${++counter}` };
    let result: unknown;
    for (const [m, a, v] of [
      ['info', [], undefined],
      [method, args, 2],
    ] as const) {
      const request = JSON.stringify({ method: m, arguments: a, context, ...(v === undefined ? {} : { api_version: v }) });
      const started = process.hrtime.bigint();
      const run = spawnSync(exe, ['--config', config], { input: request, env });
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (run.error !== undefined) throw new Error(`running ${exe} for ${m}: ${run.error.message}`);
      const response = JSON.parse(run.stdout.toString());
      if (run.status !== 0 || response.error !== null) {
        console.error(run.stderr.toString());
        throw new Error(`${m} failed: ${JSON.stringify(response.error)}`);
      }
      if (m === 'info') continue;
      result = response.result;
      const cid = String(Array.isArray(result) ? result[0] : typeof result === 'string' ? result : JSON.stringify(result));
      const backend = String(response.log).split(' → ')[1]?.split(':')[0];
      console.log(`${column(method, 22)} ${column(String(backend), 10)} ${column(cid, 60)} ${`${ms.toFixed(0)} ms`.padStart(8)}`);
    }
    return result as T;
  };

  console.log(`\nconfig: ${config}\n`);
  console.log(`${column('method', 22)} ${column('backend', 10)} ${column('result', 60)} ${'time'.padStart(8)}`);
  // One upload lands in both backends: a composite stemcell CID.
  const stemcell = call<string>('create_stemcell', [
    image,
    { name: 'bosh-openstack-kvm-ubuntu-jammy-go_agent', version: '1.1', infrastructure: 'openstack', disk_format: 'qcow2', container_format: 'bare' },
  ]);
  const network = (ip: string) => ({
    default: { type: 'manual', ip, netmask: '255.255.255.0', gateway: '10.0.0.1', default: ['dns', 'gateway'], cloud_properties: {} },
  });
  const [db] = call<[string, unknown]>('create_vm', [
    'agent-db-0',
    stemcell,
    { backend: 'metal', traits: ['CUSTOM_NVME'] },
    network('10.0.0.20'),
    [],
    { bosh: { group: 'demo-db' } },
  ]);
  const [cell] = call<[string, unknown]>('create_vm', [
    'agent-cell-0',
    stemcell,
    { backend: 'metal', ironic_properties: { memory_mb: 100000 } },
    network('10.0.0.21'),
    [],
    { bosh: { group: 'demo-cell' } },
  ]);
  const [web] = call<[string, unknown]>('create_vm', ['agent-web-0', stemcell, { backend: 'vms' }, network('10.0.0.30'), [], { bosh: { group: 'demo-web' } }]);
  for (const [vm, job] of [
    [db, 'db'],
    [cell, 'cell'],
    [web, 'web'],
  ])
    call('set_vm_metadata', [vm, { director: 'demo', deployment: 'demo', job, index: '0' }]);
  const disk = call<string>('create_disk', [102400, {}, db]);
  call('attach_disk', [db, disk]);
  call('set_disk_metadata', [disk, { director: 'demo', deployment: 'demo', instance_group: 'db' }]);
  call('reboot_vm', [cell]);
  call('has_vm', [db]);

  const show = async (title: string) => {
    const nodes = await Promise.all(servers.map((s) => api(lab, 'GET', `/v1/nodes/${s.uuid}`)));
    const rows = nodes.map((n) => {
      const disks = Object.values((n.extra?.bosh_disks ?? {}) as Record<string, { device: string }>)
        .map((d) => d.device)
        .join(', ');
      return [
        String(n.name),
        String(n.provision_state),
        String(n.power_state),
        String(n.instance_uuid ?? '-'),
        String(n.extra?.bosh_vm?.metadata?.job ?? '-'),
        disks || '-',
      ];
    });
    const table = formatTable(['node', 'provision', 'power', 'claim (instance_uuid)', 'job', 'disks'], rows);
    console.log(`\n${title}\n${table.replace(/^/gm, '  ').trimEnd()}`);
    // Ironic's fake-hardware driver deploys without touching the power state; a real deploy
    // boots the server, which then shows 'power on'.
    if (nodes.some((n) => n.provision_state === 'active' && n.power_state === 'power off')) {
      console.log(
        "  (power off although active: this lab's fake-hardware driver deploys without powering a node on; a real server is 'power on' once deployed)",
      );
    }
  };
  await show('Ironic nodes while deployed:');
  console.log('');
  call('detach_disk', [db, disk]);
  call('delete_disk', [disk]);
  for (const vm of [db, cell, web]) call('delete_vm', [vm]);
  call('delete_stemcell', [stemcell]);
  console.log(`\nimage store after the clean-up: ${fs.readdirSync(path.join(store.root, 'images')).length} images`);
  await show('Ironic nodes after the clean-up, all back in the pool:');
} finally {
  await store.stop();
  await lab.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}
