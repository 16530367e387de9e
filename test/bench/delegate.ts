// What the proxy adds to a delegated call: the median time of one `has_vm` through the built
// hybrid-cpi executable (delegate backend → the fixture CPI, test/fixtures/fake-cpi) minus the
// median time of the same request sent to the fixture CPI directly, next to the proxy's own
// `info` (the call it answers alone). Target: the added time is no more than the `info` time.
// The runs interleave (direct, proxy, info) with the director's bare environment. Prints figures;
// asserts nothing. Usage: node test/bench/delegate.ts [runs]   (Node 24, after npm run build)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BINARY = path.join(ROOT, 'packages/cli/dist/hybrid-cpi');
const FAKE_CPI = path.join(ROOT, 'test/fixtures/fake-cpi/fake-cpi.mjs');
const RUNS = Number(process.argv[2] ?? 40);
const WARM_UP = 3;
if (!fs.existsSync(BINARY)) throw new Error(`${BINARY} is missing: run npm run build first`);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-delegate-'));
const state = path.join(dir, 'state');
fs.mkdirSync(path.join(state, 'vms'), { recursive: true });
fs.writeFileSync(path.join(state, 'vms', 'vm-1.json'), JSON.stringify({ agent_id: 'a', disks: [], metadata: {}, reboots: 0 }));
const config = path.join(dir, 'cpi.json');
fs.writeFileSync(
  config,
  JSON.stringify({ backends: { vms: { type: 'delegate', command: [FAKE_CPI, '--state', state], stemcell_formats: ['vsphere-ova', 'vsphere-ovf'] } } }),
);
// The same call answered by a `memory` backend: the proxy's own cost of a call that reaches a
// backend (config, request, logger, routing), without a process to run.
const memoryState = path.join(dir, 'memory.json');
fs.writeFileSync(
  memoryState,
  JSON.stringify({ stemcells: {}, vms: { 'vm-1': { agentId: 'a', stemcell: 's', disks: [], metadata: {}, reboots: 0 } }, disks: {}, snapshots: {} }),
);
const memoryConfig = path.join(dir, 'memory.json.cpi');
fs.writeFileSync(memoryConfig, JSON.stringify({ backends: { vms: { type: 'memory', stemcell_formats: ['vsphere-ovf'], state_file: memoryState } } }));

const context = { director_uuid: '6b8f2a3e-1d4c-4e1b-9c9f-0d5b8a7e6f10', request_id: 'cpi-123456' };
const viaProxy = JSON.stringify({ method: 'has_vm', arguments: ['vms:vm-1'], context, api_version: 2 });
// Byte for byte what the proxy forwards.
const direct = JSON.stringify({ method: 'has_vm', arguments: ['vm-1'], context, api_version: 2 });
const info = JSON.stringify({ method: 'info', arguments: [], context });
// The director's environment: nothing but PATH, TMPDIR and HOME.
const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', TMPDIR: dir, HOME: dir };

function timed(command: string, args: string[], input: string): { ms: number; stdout: string } {
  const started = process.hrtime.bigint();
  const run = spawnSync(command, args, { input, env, cwd: dir });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (run.status !== 0 || !run.stdout.toString().includes('"error":null')) throw new Error(`${command} exited ${run.status}: ${run.stdout}${run.stderr}`);
  return { ms, stdout: run.stdout.toString() };
}

const samples = { direct: [] as number[], proxy: [] as number[], info: [] as number[], memory: [] as number[] };
const answers = { direct: '', proxy: '', info: '', memory: '' };
for (let i = 0; i < RUNS + WARM_UP; i++) {
  const d = timed(FAKE_CPI, ['--state', state], direct);
  const p = timed(BINARY, ['--config', config], viaProxy);
  const n = timed(BINARY, ['--config', config], info);
  const r = timed(BINARY, ['--config', memoryConfig], viaProxy);
  answers.direct = d.stdout;
  answers.memory = r.stdout;
  answers.proxy = p.stdout;
  answers.info = n.stdout;
  // The first runs warm the page cache.
  if (i < WARM_UP) continue;
  samples.direct.push(d.ms);
  samples.proxy.push(p.ms);
  samples.info.push(n.ms);
  samples.memory.push(r.ms);
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const m = { direct: median(samples.direct), proxy: median(samples.proxy), info: median(samples.info), memory: median(samples.memory) };
const added = m.proxy - m.direct;
const version = (node: string) => spawnSync(node, ['--version']).stdout.toString().trim();

console.log(`runs per command: ${RUNS} (median of each, interleaved; the fixture CPI runs on /usr/bin/node ${version('/usr/bin/node')} via its shebang)`);
console.log(`fixture CPI directly, has_vm:           ${m.direct.toFixed(1)} ms`);
console.log(`hybrid-cpi → delegate → fixture, has_vm: ${m.proxy.toFixed(1)} ms`);
console.log(`added by the proxy (median difference):  ${added.toFixed(1)} ms`);
console.log(`hybrid-cpi info (answered alone):        ${m.info.toFixed(1)} ms`);
console.log(`added / info: ${(added / m.info).toFixed(2)}x (target ≤ 1.00x)`);
console.log(`for reference, has_vm answered by a memory backend (no process to run): ${m.memory.toFixed(1)} ms`);
console.log(`responses: direct ${answers.direct} | proxy ${answers.proxy} | memory ${answers.memory}`);
fs.rmSync(dir, { recursive: true, force: true });
