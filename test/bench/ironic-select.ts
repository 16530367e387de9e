// How many Ironic HTTP requests one create_vm (and one delete_vm) of the built hybrid-cpi
// executable makes with 10 and with 1,000 free nodes in the pool, on both claim paths, against a
// real Ironic on loopback (test/support/ironic-lab.ts). Target: the same number for 10 and 1,000.
// With `--baseline BINARY` (another build of hybrid-cpi, e.g. of main) every call is made by both
// executables against the same pool, and the figures are printed side by side.
// Prints figures; asserts nothing. Takes ~7 minutes, most of it enrolling 1,000 fake nodes.
// Usage: node test/bench/ironic-select.ts [--baseline BINARY]   (Node 24, the pinned node_modules/.bin/node)
import { parseArgs } from 'node:util';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { IronicLab } from '../support/ironic-lab.js';

// Node runs this file by stripping types, and does not map a `.js` specifier to the `.ts` file
// beside it; tsc (no allowImportingTsExtensions here) refuses a `.ts` specifier. A dynamic import
// of a computed URL satisfies both, and the `typeof import` keeps the types.
const { startIronic } = (await import(new URL('../support/ironic-lab.ts', import.meta.url).href)) as typeof import('../support/ironic-lab.js');
const bench = (await import(new URL('./ironic-bench.ts', import.meta.url).href)) as typeof import('./ironic-bench.js');
const { log, mmm, shape, stats } = bench;

const ROOT = path.resolve(import.meta.dirname, '../..');
const { values: args } = parseArgs({ options: { baseline: { type: 'string' } } });
/** The executables measured: this build, and the baseline when given. */
const BINARIES = [
  { label: 'this', path: path.join(ROOT, 'packages/cli/dist/hybrid-cpi') },
  ...(args.baseline === undefined ? [] : [{ label: 'baseline', path: path.resolve(args.baseline) }]),
];
const RESOURCE_CLASS = 'bench';
const POOLS = [10, 1000] as const;
const CLAIMS = ['allocation', 'instance_uuid'] as const;
const RUNS = 3;
const STEMCELL = `metal:qcow2:sha256:${'a'.repeat(64)}:http://127.0.0.1:9/stemcell.qcow2`;
/** The message of the client's per-request debug line (packages/backend-ironic/src/ironic/client.ts). */
const REQUEST_EVENT = 'ironic request';

type Claim = (typeof CLAIMS)[number];

interface CallCount {
  /** Lines with service "Ironic": every HTTP attempt, retries included. */
  readonly ironic: number;
  readonly keystone: number;
  /** "GET /v1/nodes?provision_state&associated&…" → count. */
  readonly byPath: ReadonlyMap<string, number>;
  readonly ms: number;
}

interface Measurement {
  readonly pool: number;
  readonly claim: Claim;
  /** Which executable: `this` or `baseline`. */
  readonly binary: string;
  readonly create: CallCount[];
  readonly delete: CallCount[];
}

for (const { path: binary } of BINARIES) if (!fs.existsSync(binary)) throw new Error(`${binary} is missing: run node scripts/build.mjs first`);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-ironic-select-'));
const lab = await startIronic();
try {
  const configs = Object.fromEntries(CLAIMS.map((claim) => [claim, writeConfig(lab, claim)])) as Record<Claim, string>;
  const results: Measurement[] = [];
  let enrolled = 0;
  for (const pool of POOLS) {
    await bench.enroll(lab, pool - enrolled, () => ({ resourceClass: RESOURCE_CLASS }));
    enrolled = pool;
    await bench.expectFree(lab, RESOURCE_CLASS, pool);
    for (const claim of CLAIMS) {
      for (const binary of BINARIES) {
        const m: Measurement = { pool, claim, binary: binary.label, create: [], delete: [] };
        for (let run = 1; run <= RUNS; run++) {
          const agentId = `bench-${pool}-${claim.replace('_', '-')}-${binary.label}-${run}`;
          const created = await runCpi(
            binary.path,
            configs[claim],
            createVmRequest(agentId),
            `create_vm (pool ${pool}, ${claim}, ${binary.label}, run ${run})`,
          );
          const cid = (created.result as string[])[0]!;
          const deleted = await runCpi(
            binary.path,
            configs[claim],
            { method: 'delete_vm', arguments: [cid], context: { director_uuid: 'd', request_id: 'cpi-654321' }, api_version: 2 },
            `delete_vm ${cid}`,
          );
          m.create.push(created.count);
          m.delete.push(deleted.count);
          log(
            `pool ${pool}, ${claim}, ${binary.label}, run ${run}: create_vm ${created.count.ironic} requests in ${created.count.ms.toFixed(0)} ms, ` +
              `delete_vm ${deleted.count.ironic}`,
          );
        }
        await bench.expectFree(lab, RESOURCE_CLASS, pool); // delete_vm gave every node back: the next run sees the same pool
        results.push(m);
      }
    }
  }
  report(results);
  console.log(`\ntotal time: ${bench.elapsedSeconds().toFixed(0)} s`);
} finally {
  await lab.stop();
  fs.rmSync(work, { recursive: true, force: true });
}

function writeConfig(lab: IronicLab, claim: Claim): string {
  const file = path.join(work, `${claim}.json`);
  fs.writeFileSync(
    file,
    JSON.stringify({ log_level: 'debug', agent: { mbus: 'nats://10.0.0.6:4222' }, backends: { metal: { type: 'ironic', claim, ironic: { url: lab.url } } } }),
  );
  return file;
}

function createVmRequest(agentId: string) {
  return {
    method: 'create_vm',
    arguments: [agentId, STEMCELL, { resource_class: RESOURCE_CLASS }, { default: { type: 'dynamic', cloud_properties: {} } }, [], {}],
    context: { director_uuid: 'd', request_id: 'cpi-123456' },
    api_version: 2,
  };
}

/** One CPI process, as the director runs it, and its Ironic requests (from its debug lines). */
async function runCpi(binary: string, config: string, request: unknown, what: string): Promise<{ result: unknown; count: CallCount }> {
  const { result, stderr, ms } = await bench.runCpi(binary, config, request, what, work);
  return { result, count: countRequests(stderr, ms) };
}

function countRequests(stderr: string, ms: number): CallCount {
  let ironic = 0;
  let keystone = 0;
  const byPath = new Map<string, number>();
  for (const line of stderr.split('\n')) {
    if (!line.startsWith('{')) continue;
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line);
    } catch {
      continue;
    }
    if (entry['msg'] !== REQUEST_EVENT) continue;
    if (entry['service'] === 'Keystone') keystone++;
    if (entry['service'] !== 'Ironic') continue;
    ironic++;
    const key = `${String(entry['method'])} ${shape(String(entry['path']))}`;
    byPath.set(key, (byPath.get(key) ?? 0) + 1);
  }
  return { ironic, keystone, byPath, ms };
}

function report(results: readonly Measurement[]): void {
  const rows = [
    ['pool', 'claim', 'binary', 'Ironic req / create_vm (min/med/max)', 'Ironic req / delete_vm (min/med/max)', 'create_vm median wall'],
    ...results.map((m) => [
      String(m.pool),
      m.claim,
      m.binary,
      mmm(m.create.map((c) => c.ironic)),
      mmm(m.delete.map((c) => c.ironic)),
      `${stats(m.create.map((c) => c.ms)).median.toFixed(0)} ms`,
    ]),
  ];
  console.log(`Ironic HTTP requests per CPI call (${RUNS} runs each; pool = free nodes of resource class ${RESOURCE_CLASS})\n`);
  console.log(bench.table(rows, 3));
  const keystone = results.flatMap((m) => [...m.create, ...m.delete]).reduce((n, c) => n + c.keystone, 0);
  if (keystone > 0) console.log(`(plus ${keystone} Keystone requests in all)`);

  console.log(`\nRequests by method and path (count in each run: ${Array.from({ length: RUNS }, (_, i) => `run ${i + 1}`).join(' / ')}):`);
  for (const m of results) {
    for (const [method, counts] of [
      ['create_vm', m.create],
      ['delete_vm', m.delete],
    ] as const) {
      console.log(`\n  pool ${m.pool}, claim ${m.claim}, ${m.binary}, ${method}:`);
      const keys = [...new Set(counts.flatMap((c) => [...c.byPath.keys()]))];
      const width = Math.max(...keys.map((k) => k.length));
      for (const key of keys) console.log(`    ${key.padEnd(width)}  ${counts.map((c) => c.byPath.get(key) ?? 0).join(' / ')}`);
    }
  }

  const compare = (label: string, a: Measurement, b: Measurement) => {
    const x = stats(a.create.map((c) => c.ironic)).median;
    const y = stats(b.create.map((c) => c.ironic)).median;
    return x === y ? `${label}: same (${x})` : `${label}: ${x} → ${y} (${y > x ? '+' : ''}${y - x}${diffByPath(a.create, b.create)})`;
  };
  const find = (pool: number, claim: Claim, binary: string) => results.find((m) => m.pool === pool && m.claim === claim && m.binary === binary)!;
  const verdicts = CLAIMS.map((claim) => compare(claim, find(POOLS[0], claim, 'this'), find(POOLS[1], claim, 'this')));
  console.log(`\nVerdict, median Ironic requests per create_vm, pool ${POOLS[0]} vs ${POOLS[1]}: ${verdicts.join('; ')}`);
  if (BINARIES.length > 1) {
    const against = POOLS.flatMap((pool) => CLAIMS.map((claim) => compare(`pool ${pool}, ${claim}`, find(pool, claim, 'baseline'), find(pool, claim, 'this'))));
    console.log(`Verdict, median Ironic requests per create_vm, baseline vs this build: ${against.join('; ')}`);
  }
}

/** The paths whose median count differs between two sets of runs: ", GET /v1/nodes?… +1". */
function diffByPath(small: readonly CallCount[], large: readonly CallCount[]): string {
  const keys = [...new Set([...small, ...large].flatMap((c) => [...c.byPath.keys()]))];
  const parts: string[] = [];
  for (const key of keys) {
    const a = stats(small.map((c) => c.byPath.get(key) ?? 0)).median;
    const b = stats(large.map((c) => c.byPath.get(key) ?? 0)).median;
    if (a !== b) parts.push(`${key} ${b > a ? '+' : ''}${b - a}`);
  }
  return parts.length === 0 ? '' : `: ${parts.join(', ')}`;
}
