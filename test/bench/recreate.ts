// What a recreate costs: delete_vm + create_vm of the built hybrid-cpi executable, for a VM with a
// persistent disk (the node is parked, then rebuilt in place) next to a VM without one (undeploy,
// then a deploy) in the same run, against a real Ironic on loopback (test/support/ironic-lab.ts).
// Per pair: wall time of the two processes, Ironic HTTP requests (the CPI's debug lines),
// provision-state transitions of the node and the time Ironic spent in deploy states (both from
// Ironic's own log), and the CPI-side time: wall time less that. Targets: fewer transitions than
// undeploy-and-deploy, and a recreate's CPI-side time under one second. Prints figures; asserts
// nothing. Takes about a minute.
// Usage: node test/bench/recreate.ts   (Node 24; RUNS=n, DEPLOY_DELAY=seconds of the fake deploy)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// Node runs this file by stripping types, and does not map a `.js` specifier to the `.ts` file
// beside it; tsc refuses a `.ts` specifier. A dynamic import of a computed URL satisfies both.
const { startIronic } = (await import(new URL('../support/ironic-lab.ts', import.meta.url).href)) as typeof import('../support/ironic-lab.js');
const { enrollFakeNode } = (await import(new URL('../support/ironic-nodes.ts', import.meta.url).href)) as typeof import('../support/ironic-nodes.js');

const ROOT = path.resolve(import.meta.dirname, '../..');
const BINARY = path.join(ROOT, 'packages/cli/dist/hybrid-cpi');
const RUNS = Number(process.env['RUNS'] ?? 5);
const DEPLOY_DELAY = Number(process.env['DEPLOY_DELAY'] ?? 0);
const STEMCELL = `metal:qcow2:sha256:${'a'.repeat(64)}:http://127.0.0.1:9/stemcell.qcow2`;
const NETWORKS = { default: { type: 'dynamic', cloud_properties: {} } };
/** Ironic's states of a deploy or rebuild, whose time is Ironic's, not the CPI's. */
const DEPLOY_STATES = new Set(['deploying', 'wait call-back', 'deploy hold']);
/** Every state of an operation in progress (the undeploy's too), for the diskless pair. */
const BUSY_STATES = new Set([...DEPLOY_STATES, 'deleting', 'cleaning', 'clean wait']);

interface Pair {
  readonly wallMs: number;
  readonly requests: number;
  readonly transitions: readonly string[];
  readonly deployMs: number;
  readonly busyMs: number;
}

if (!fs.existsSync(BINARY)) throw new Error(`${BINARY} is missing: run node scripts/build.mjs first`);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-recreate-'));
const lab = await startIronic({ deployDelay: DEPLOY_DELAY });
try {
  const config = path.join(work, 'cpi.json');
  fs.writeFileSync(
    config,
    JSON.stringify({ log_level: 'debug', agent: { mbus: 'nats://10.0.0.6:4222' }, backends: { metal: { type: 'ironic', ironic: { url: lab.url } } } }),
  );
  const plain = await enrollFakeNode(lab, { name: 'plain', resourceClass: 'bench' });
  const held = await enrollFakeNode(lab, { name: 'held', resourceClass: 'bench' });
  const call = async (method: string, args: unknown[]) => cpi(config, method, args);

  let plainVm = ((await call('create_vm', ['plain-0', STEMCELL, { nodes: ['plain'] }, NETWORKS, [], {}])).result as string[])[0]!;
  let heldVm = ((await call('create_vm', ['held-0', STEMCELL, { nodes: ['held'] }, NETWORKS, [], {}])).result as string[])[0]!;
  const disk = (await call('create_disk', [10240, {}, heldVm])).result as string;
  const diskless: Pair[] = [];
  const recreate: Pair[] = [];
  for (let run = 1; run <= RUNS; run++) {
    let measured = await measure(plain.uuid, async () => {
      const d = await call('delete_vm', [plainVm]);
      const c = await call('create_vm', [`plain-${run}`, STEMCELL, { nodes: ['plain'] }, NETWORKS, [], {}]);
      plainVm = (c.result as string[])[0]!;
      return [d, c];
    });
    diskless.push(measured);
    measured = await measure(held.uuid, async () => {
      const d = await call('delete_vm', [heldVm]);
      const c = await call('create_vm', [`held-${run}`, STEMCELL, { nodes: ['held'] }, NETWORKS, [disk], {}]);
      heldVm = (c.result as string[])[0]!;
      return [d, c];
    });
    recreate.push(measured);
    process.stderr.write(`run ${run}: diskless ${diskless.at(-1)!.wallMs.toFixed(0)} ms, recreate in place ${recreate.at(-1)!.wallMs.toFixed(0)} ms\n`);
  }
  report(diskless, recreate);
} finally {
  await lab.stop();
  fs.rmSync(work, { recursive: true, force: true });
}

/** Runs one delete_vm + create_vm pair and reads what it cost from the CPI's and Ironic's logs. */
async function measure(node: string, pair: () => Promise<{ ms: number; requests: number }[]>): Promise<Pair> {
  const log = path.join(lab.dir, 'ironic.log');
  const from = fs.statSync(log).size;
  const calls = await pair();
  // Ironic writes the log line of the last transition as the CPI sees the state: give it a moment.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const lines = fs.readFileSync(log, 'utf8').slice(from).split('\n');
  const moves = lines
    .map((l) => new RegExp(`^(\\S+ \\S+) .*Node ${node} moved to provision state "([^"]+)" from state "([^"]+)"`).exec(l))
    .filter((m) => m !== null)
    .map((m) => ({ at: Date.parse(m![1]!.replace(' ', 'T')), to: m![2]!, from: m![3]! }));
  const timeIn = (states: ReadonlySet<string>) => moves.reduce((ms, m, i) => ms + (states.has(m.to) && i + 1 < moves.length ? moves[i + 1]!.at - m.at : 0), 0);
  return {
    wallMs: calls.reduce((ms, c) => ms + c.ms, 0),
    requests: calls.reduce((n, c) => n + c.requests, 0),
    transitions: moves.map((m) => `${m.from} → ${m.to}`),
    deployMs: timeIn(DEPLOY_STATES),
    busyMs: timeIn(BUSY_STATES),
  };
}

/** One CPI process, as the director runs it; the response must carry no error. */
function cpi(config: string, method: string, args: unknown[]): { result: unknown; ms: number; requests: number } {
  const t0 = process.hrtime.bigint();
  const input = JSON.stringify({ method, arguments: args, context: { director_uuid: 'd', request_id: 'cpi-123456' }, api_version: 2 });
  const run = spawnSync(BINARY, ['--config', config], { input, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', TMPDIR: work, HOME: work }, maxBuffer: 64 << 20 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const stderr = run.stderr.toString();
  const response = JSON.parse(run.stdout.toString()) as { result: unknown; error: unknown };
  if (response.error !== null) throw new Error(`${method} failed: ${JSON.stringify(response.error)}\n${stderr}`);
  // The client's debug line for every HTTP attempt (packages/backend-ironic/src/ironic/client.ts).
  const requests = stderr.split('\n').filter((l) => l.includes('"msg":"ironic request"') && l.includes('"service":"Ironic"')).length;
  return { result: response.result, ms, requests };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function range(values: readonly number[]): string {
  return `${Math.min(...values).toFixed(0)}–${median(values).toFixed(0)}–${Math.max(...values).toFixed(0)}`;
}

function report(diskless: readonly Pair[], recreate: readonly Pair[]): void {
  const rows: [string, (p: Pair) => number][] = [
    ['wall time of delete_vm + create_vm (ms)', (p) => p.wallMs],
    ['Ironic requests', (p) => p.requests],
    ['provision-state transitions', (p) => p.transitions.length],
    ['time in deploy states (ms)', (p) => p.deployMs],
    ['CPI-side: wall less deploy states (ms)', (p) => p.wallMs - p.deployMs],
    ['wall less every busy state (ms)', (p) => p.wallMs - p.busyMs],
  ];
  console.log(`delete_vm + create_vm, ${RUNS} runs each, fake deploy delay ${DEPLOY_DELAY} s (min–median–max)\n`);
  const head = ['', 'diskless: undeploy + deploy', 'with a disk: park + rebuild'];
  const table = [head, ...rows.map(([label, f]) => [label, range(diskless.map(f)), range(recreate.map(f))])];
  const widths = head.map((_, col) => Math.max(...table.map((r) => r[col]!.length)));
  for (const [i, r] of table.entries()) {
    console.log(r.map((cell, col) => (col === 0 ? cell.padEnd(widths[col]!) : cell.padStart(widths[col]!))).join('  '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
  console.log(`\ntransitions, diskless:    ${diskless[0]!.transitions.join(', ')}`);
  console.log(`transitions, with a disk: ${recreate[0]!.transitions.join(', ')}`);
  const fewer = median(recreate.map((p) => p.transitions.length)) < median(diskless.map((p) => p.transitions.length));
  const cpiSide = median(recreate.map((p) => p.wallMs - p.deployMs));
  console.log(
    `\ntargets: fewer transitions than undeploy-and-deploy: ${fewer ? 'met' : 'missed'}; ` +
      `CPI-side time of the recreate under 1000 ms: ${cpiSide < 1000 ? 'met' : 'missed'} (median ${cpiSide.toFixed(0)} ms)`,
  );
}
