// What the benches against a real Ironic share: enrolling a pool of fake nodes with progress,
// checking how many are free, running the built executable as the director does, the shape of a
// request path (for counts by path) and small statistics. No side effects on import.
import { spawn } from 'node:child_process';
import type { IronicLab } from '../support/ironic-lab.js';
import type { FakeNodeSpec } from '../support/ironic-nodes.js';

// Node runs the benches by stripping types, and does not map a `.js` specifier to the `.ts` file
// beside it; tsc (no allowImportingTsExtensions here) refuses a `.ts` specifier. A dynamic import
// of a computed URL satisfies both, and the `typeof import` keeps the types.
const { api, enrollFakeNodes } = (await import(new URL('../support/ironic-nodes.ts', import.meta.url).href)) as typeof import('../support/ironic-nodes.js');

const started = Date.now();
const ENROLL_CONCURRENCY = 8;

/** A progress line on stderr, with the seconds since the bench began. */
export function log(line: string): void {
  process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
}

/** Seconds since the bench began. */
export function elapsedSeconds(): number {
  return (Date.now() - started) / 1000;
}

/** Enrolls `count` more nodes (of `spec(i)`), with progress on stderr every 100. */
export async function enroll(lab: IronicLab, count: number, spec: (i: number) => FakeNodeSpec): Promise<void> {
  const t0 = Date.now();
  log(`enrolling ${count} fake-hardware nodes (concurrency ${ENROLL_CONCURRENCY})`);
  await enrollFakeNodes(
    lab,
    count,
    (i) => {
      // Called as node i starts; the nodes before it minus the ones in flight are done.
      if (i > 0 && i % 100 === 0) {
        const s = (Date.now() - t0) / 1000;
        log(`enrolling: ${i} of ${count} started (${(Math.max(0, i - ENROLL_CONCURRENCY) / s).toFixed(1)} nodes/s)`);
      }
      return spec(i);
    },
    ENROLL_CONCURRENCY,
  );
  log(`enrolled ${count} nodes in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

/** Checks that exactly `count` nodes of `resourceClass` are free (available, unclaimed, not in maintenance). */
export async function expectFree(lab: IronicLab, resourceClass: string, count: number): Promise<void> {
  let free = 0;
  let next: string | null = `/v1/nodes?resource_class=${resourceClass}&provision_state=available&associated=false&maintenance=false&fields=uuid&limit=1000`;
  while (next) {
    const page: { nodes: unknown[]; next?: string } = await api(lab, 'GET', next);
    free += page.nodes.length;
    next = page.next ? new URL(page.next).pathname + new URL(page.next).search : null;
  }
  if (free !== count) throw new Error(`expected ${count} free ${resourceClass} nodes, Ironic has ${free}`);
}

/** One CPI process, as the director runs it (bare environment, the request on stdin); its response must carry no error. */
export async function runCpi(
  binary: string,
  config: string,
  request: unknown,
  what: string,
  tmp: string,
): Promise<{ result: unknown; stderr: string; ms: number }> {
  const t0 = process.hrtime.bigint();
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(binary, ['--config', config], {
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', TMPDIR: tmp, HOME: tmp },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (exitCode) => resolve({ code: exitCode, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
    child.stdin.end(JSON.stringify(request));
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  let response: { result: unknown; error: unknown };
  try {
    response = JSON.parse(stdout);
  } catch {
    throw new Error(`${what}: exit ${code}, stdout is not JSON: ${stdout}\n${stderr}`);
  }
  if (response.error !== null) throw new Error(`${what} failed: ${JSON.stringify(response.error)}\n${stderr}`);
  return { result: response.result, stderr, ms };
}

/** `/v1/nodes/6f…/states/provision` → `/v1/nodes/{id}/states/provision` (a node lock's trait → `{lock}`); a query keeps its keys only. */
export function shape(requestPath: string): string {
  const [pathname = '', query] = requestPath.split('?', 2);
  const generic = pathname.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '{id}').replace(/CUSTOM_BOSH_LOCK_\w+/, '{lock}');
  return query === undefined ? generic : `${generic}?${[...new URLSearchParams(query).keys()].join('&')}`;
}

export function stats(values: readonly number[]): { min: number; median: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { min: sorted[0]!, median: sorted[Math.floor(sorted.length / 2)]!, max: sorted.at(-1)! };
}

/** `min / median / max`. */
export function mmm(values: readonly number[]): string {
  const s = stats(values);
  return `${s.min} / ${s.median} / ${s.max}`;
}

/** Rows as a table: the first `left` columns left-aligned, the others right-aligned, a rule under the header. */
export function table(rows: readonly (readonly string[])[], left: number): string {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
  const line = (r: readonly string[]) => r.map((cell, col) => (col < left ? cell.padEnd(widths[col]!) : cell.padStart(widths[col]!))).join('  ');
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}
