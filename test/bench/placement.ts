// Placement at fleet scale: 20 create_vm processes of the built hybrid-cpi executable at once on a
// pool of 1,000 free nodes, next to one create_vm alone in the same run, against a real Ironic on
// loopback (test/support/ironic-lab.ts), with failure domains (the nodes' `properties.rack`, 8
// racks, one instance group) and the provisioning throttle at its default (20). Every Ironic
// request goes through a recording proxy (test/support/ironic-recorder.ts) and is counted for the
// call whose global request id it carries. Targets: the 20 take at most 2x the wall time of one
// alone, and one create_vm makes as many requests with 1,000 nodes as with 12.
// Prints figures; asserts nothing. Takes ~8 minutes, most of it enrolling 1,000 fake nodes.
// Usage: node test/bench/placement.ts   (Node 24; RUNS=n, CLAIM=allocation|instance_uuid, PARALLEL=n, POOL=n)
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RecordedRequest } from '../support/ironic-recorder.js';

// Node runs this file by stripping types, and does not map a `.js` specifier to the `.ts` file
// beside it; tsc (no allowImportingTsExtensions here) refuses a `.ts` specifier. A dynamic import
// of a computed URL satisfies both, and the `typeof import` keeps the types.
const { startIronic } = (await import(new URL('../support/ironic-lab.ts', import.meta.url).href)) as typeof import('../support/ironic-lab.js');
const { startIronicRecorder } = (await import(
  new URL('../support/ironic-recorder.ts', import.meta.url).href
)) as typeof import('../support/ironic-recorder.js');
const bench = (await import(new URL('./ironic-bench.ts', import.meta.url).href)) as typeof import('./ironic-bench.js');
const { log, mmm, shape, stats } = bench;

const BINARY = path.join(path.resolve(import.meta.dirname, '../..'), 'packages/cli/dist/hybrid-cpi');
const RUNS = Number(process.env['RUNS'] ?? 3);
const PARALLEL = Number(process.env['PARALLEL'] ?? 20);
const CLAIM = process.env['CLAIM'] ?? 'auto';
const SMALL = 12;
const LARGE = Number(process.env['POOL'] ?? 1000);
const RACKS = 8;
const RESOURCE_CLASS = 'bench';
const GROUP = 'bench-dep-web';
const STEMCELL = `metal:qcow2:sha256:${'a'.repeat(64)}:http://127.0.0.1:9/stemcell.qcow2`;

/** One create_vm: its wall time and the Ironic requests it made. */
interface Call {
  readonly ms: number;
  readonly requests: readonly RecordedRequest[];
}

interface Phase {
  readonly label: string;
  readonly pool: number;
  /** One entry per run: the create_vm calls of that run (one alone, or PARALLEL at once). */
  readonly runs: { readonly wallMs: number; readonly calls: readonly Call[] }[];
}

if (!fs.existsSync(BINARY)) throw new Error(`${BINARY} is missing: run node scripts/build.mjs first`);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-placement-'));
const lab = await startIronic();
const recorder = await startIronicRecorder(lab.url);
try {
  const config = path.join(work, 'cpi.json');
  fs.writeFileSync(
    config,
    JSON.stringify({
      agent: { mbus: 'nats://10.0.0.6:4222' },
      backends: { metal: { type: 'ironic', claim: CLAIM, ironic: { url: recorder.url }, failure_domain: { property: 'rack' } } },
    }),
  );
  const spec = (i: number) => ({
    resourceClass: RESOURCE_CLASS,
    properties: { memory_mb: 8192, cpus: 4, local_gb: 100, cpu_arch: 'x86_64', rack: `r${i % RACKS}` },
  });
  const phases: Phase[] = [];
  await bench.enroll(lab, SMALL, spec);
  phases.push(await measure(config, `one alone`, SMALL, 1));
  await bench.enroll(lab, LARGE - SMALL, (i) => spec(SMALL + i));
  await bench.expectFree(lab, RESOURCE_CLASS, LARGE);
  // Alone and parallel in turns, so that drift in the machine's load touches both alike.
  const alone: Phase = { label: 'one alone', pool: LARGE, runs: [] };
  const parallel: Phase = { label: `${PARALLEL} at once`, pool: LARGE, runs: [] };
  for (let run = 0; run < RUNS; run++) {
    alone.runs.push(...(await measure(config, alone.label, LARGE, 1, 1)).runs);
    parallel.runs.push(...(await measure(config, parallel.label, LARGE, PARALLEL, 1)).runs);
  }
  phases.push(alone, parallel);
  report(phases);
  console.log(`\ntotal time: ${bench.elapsedSeconds().toFixed(0)} s`);
} finally {
  await recorder.stop();
  await lab.stop();
  fs.rmSync(work, { recursive: true, force: true });
}

/** `runs` rounds of `count` create_vm at once (each round's VMs deleted after it, unmeasured). */
async function measure(config: string, label: string, pool: number, count: number, runs = RUNS): Promise<Phase> {
  const phase: Phase = { label, pool, runs: [] };
  for (let run = 1; run <= runs; run++) {
    recorder.take();
    const ids = Array.from({ length: count }, () => randomUUID());
    const t0 = performance.now();
    const created = await Promise.all(
      ids.map((id, i) => bench.runCpi(BINARY, config, createVm(`${label}-${pool}-${run}-${i}-${id}`, id), `create_vm ${id}`, work)),
    );
    const wallMs = performance.now() - t0;
    const recorded = recorder.take();
    const calls = ids.map((id, i) => ({ ms: created[i]!.ms, requests: recorded.filter((r) => r.requestId === `req-${id}`) }));
    phase.runs.push({ wallMs, calls });
    log(`pool ${pool}, ${label}, run ${run}: ${wallMs.toFixed(0)} ms wall, Ironic requests per create_vm ${mmm(calls.map((c) => c.requests.length))}`);
    await Promise.all(created.map((c) => bench.runCpi(BINARY, config, deleteVm((c.result as string[])[0]!), 'delete_vm', work)));
    await bench.expectFree(lab, RESOURCE_CLASS, pool);
  }
  return phase;
}

function createVm(agentId: string, requestId: string) {
  return {
    method: 'create_vm',
    arguments: [
      agentId,
      STEMCELL,
      { resource_class: RESOURCE_CLASS },
      { default: { type: 'dynamic', cloud_properties: {} } },
      [],
      { bosh: { group: GROUP, groups: ['bench', 'dep', 'web', 'bench-dep', 'dep-web', GROUP] } },
    ],
    context: { director_uuid: 'd', request_id: requestId },
    api_version: 2,
  };
}

function deleteVm(cid: string) {
  return { method: 'delete_vm', arguments: [cid], context: { director_uuid: 'd', request_id: randomUUID() }, api_version: 2 };
}

function report(phases: readonly Phase[]): void {
  const median = (phase: Phase) => stats(phase.runs.map((r) => r.wallMs)).median;
  const requests = (phase: Phase) => phase.runs.flatMap((r) => r.calls.map((c) => c.requests.length));
  const rows = [
    [
      'pool',
      'create_vm',
      'runs',
      'wall time (min/med/max ms)',
      'Ironic req / create_vm (min/med/max)',
      'Ironic answer (median)',
      'waiting on Ironic / create_vm',
    ],
    ...phases.map((p) => {
      const calls = p.runs.flatMap((r) => r.calls);
      return [
        String(p.pool),
        p.label,
        String(p.runs.length),
        mmm(p.runs.map((r) => Math.round(r.wallMs))),
        mmm(requests(p)),
        `${stats(calls.flatMap((c) => c.requests.map((q) => q.ms))).median.toFixed(0)} ms`,
        `${mmm(calls.map((c) => Math.round(c.requests.reduce((ms, q) => ms + q.ms, 0))))} ms`,
      ];
    }),
  ];
  console.log(`\ncreate_vm on a pool of free nodes in ${RACKS} racks, claim ${CLAIM}, failure_domain {property: rack}, one instance group\n`);
  console.log(bench.table(rows, 2));
  console.log('(waiting on Ironic: the sum of the times Ironic took to answer the requests of one create_vm, min/med/max)');

  console.log('\nRequests by method and path, per create_vm (min/med/max over the calls):');
  for (const p of phases) {
    const calls = p.runs.flatMap((r) => r.calls);
    const counts = calls.map((c) => countBy(c.requests));
    const keys = [...new Set(counts.flatMap((c) => [...c.keys()]))];
    const width = Math.max(...keys.map((k) => k.length));
    console.log(`\n  pool ${p.pool}, ${p.label}:`);
    for (const key of keys) console.log(`    ${key.padEnd(width)}  ${mmm(counts.map((c) => c.get(key) ?? 0))}`);
  }

  const [small, alone, parallel] = phases as [Phase, Phase, Phase];
  const ratio = median(parallel) / median(alone);
  console.log(
    `\nVerdict, wall time of ${PARALLEL} create_vm at once vs one alone (pool ${LARGE}, medians): ` +
      `${median(parallel).toFixed(0)} ms vs ${median(alone).toFixed(0)} ms = ${ratio.toFixed(2)}x (target at most 2x: ${ratio <= 2 ? 'met' : 'missed'})`,
  );
  // Reads of one node or allocation are the waits' polls (and the read before the deploy): their
  // number follows how fast Ironic moves, not the pool. The rest is what the pool could change.
  const steps = (phase: Phase) => phase.runs.flatMap((r) => r.calls.map((c) => c.requests.filter((q) => !isPoll(q)).length));
  const [x, y, z] = [small, alone, parallel].map((p) => mmm(steps(p)));
  console.log(
    `Verdict, Ironic requests per create_vm besides reads of one node or allocation (min/med/max), pool ${SMALL} vs ${LARGE}: ${x} vs ${y} ` +
      `(target equal: ${x === y ? 'met' : 'missed'}); ${PARALLEL} at once: ${z}. With those reads (medians): ` +
      `${stats(requests(small)).median} vs ${stats(requests(alone)).median}; ${PARALLEL} at once: ${stats(requests(parallel)).median}`,
  );
}

/** `GET /v1/nodes/{id}` or `GET /v1/allocations/{id}`. */
function isPoll(request: RecordedRequest): boolean {
  return request.method === 'GET' && /^\/v1\/(nodes|allocations)\/\{id\}$/.test(shape(request.path));
}

/** "GET /v1/nodes?associated&sort_key&…" → count. */
function countBy(requests: readonly RecordedRequest[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of requests) {
    const key = `${r.method} ${shape(r.path)}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}
