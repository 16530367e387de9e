// The provisioning throttle, through the built executable and a real Ironic whose fake deploys
// last a second or two: 20 concurrent create_vm processes under max_concurrent_deploys 5 never
// have more than 5 of their nodes deploying at once by Ironic's own record of provision states
// (its conductor's log), and all 20 finish.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIronic, type IronicLab } from '../support/ironic-lab.js';
import { api, enrollFakeNodes, type FakeNode } from '../support/ironic-nodes.js';
import { DIRECTOR_UUID, Workspace, describeRun, expectDirectorResponse, nextRequestId, runCpi, type CpiRun } from './helpers/cpi.js';

const ws = new Workspace('throttle');
const STEMCELL = `metal:qcow2:sha256:${'a'.repeat(64)}:http://127.0.0.1:9/stemcell.qcow2`;
const NETWORKS = { default: { type: 'dynamic', cloud_properties: {} } };
const LIMIT = 5;
const CALLS = 20;
let lab: IronicLab;
let throttled: FakeNode[];

beforeAll(async () => {
  lab = await startIronic({ deployDelay: 1 });
  throttled = await enrollFakeNodes(lab, CALLS, () => ({ resourceClass: 'throttled' }));
});

afterAll(async () => {
  await lab?.stop();
  ws.cleanup();
});

describe(`${CALLS} concurrent create_vm with max_concurrent_deploys ${LIMIT}`, () => {
  let runs: CpiRun[];

  it('all finish', async () => {
    const config = ws.writeConfig('throttle.json', {
      log_level: 'info',
      agent: { mbus: 'nats://10.0.0.6:4222' },
      backends: { metal: { type: 'ironic', claim: 'instance_uuid', ironic: { url: lab.url }, max_concurrent_deploys: LIMIT } },
    });
    const request = (i: number) => ({
      method: 'create_vm',
      arguments: [`agent-throttle-${i}`, STEMCELL, { resource_class: 'throttled' }, NETWORKS, [], {}],
      context: { director_uuid: DIRECTOR_UUID, request_id: nextRequestId() },
      api_version: 2,
    });
    runs = await Promise.all(Array.from({ length: CALLS }, (_, i) => runCpi(config, request(i), { tmp: ws.dir, timeoutMs: 110_000 })));
    for (const run of runs) expect(expectDirectorResponse(run).error, describeRun(run)).toBeNull();
    const nodes = (await api(lab, 'GET', '/v1/nodes?resource_class=throttled&fields=uuid,provision_state&limit=1000')).nodes;
    expect(nodes.map((n: { provision_state: string }) => n.provision_state)).toEqual(Array(CALLS).fill('active'));
  });

  it(`Ironic's record of provision states never shows more than ${LIMIT} of them deploying at once`, () => {
    const ours = new Set(throttled.map((n) => n.uuid));
    const spans = deploySpans(fs.readFileSync(path.join(lab.dir, 'ironic.log'), 'utf8'), ours);
    expect(spans.size).toBe(CALLS);
    const most = mostAtOnce([...spans.values()]);
    expect(most).toBeLessThanOrEqual(LIMIT);
    // The throttle let as many through as it may: the queue kept the slots busy.
    expect(most).toBe(LIMIT);
  });

  it('the ones over the limit waited, and said so on stderr', () => {
    const waits = runs.filter((run) =>
      run.stderr.includes('"msg":"waiting for a deploy slot: max_concurrent_deploys deploys are in flight in the conductor group"'),
    );
    // How many depends on how far apart a busy machine starts the processes (the first holders,
    // nextStep's `hold`, wait silently), but with 20 at once some always queue.
    expect(waits.length).toBeGreaterThan(0);
    const line = waits[0]!.stderr.split('\n').find((l) => l.includes('waiting for a deploy slot'))!;
    expect(JSON.parse(line)).toMatchObject({ limit: LIMIT, conductor_group: '', in_flight: expect.any(Number), waited_s: expect.any(Number) });
  });
});

/**
 * Each node's deploy as Ironic's conductor logged it: from "moved to provision state deploying"
 * to its next move out of the deploy states (ms since the epoch, from the log's timestamps).
 */
function deploySpans(log: string, nodes: ReadonlySet<string>): Map<string, { from: number; to: number }> {
  const spans = new Map<string, { from: number; to: number }>();
  const move = /^(\S+ \S+) \d+ INFO ironic\.conductor\.task_manager .* Node (\S+) moved to provision state "([^"]+)" from state "([^"]+)"/;
  for (const line of log.split('\n')) {
    const m = move.exec(line);
    if (m === null || !nodes.has(m[2]!)) continue;
    const at = Date.parse(m[1]!.replace(' ', 'T'));
    const [to, from] = [m[3]!, m[4]!];
    const deploying = (state: string) => state === 'deploying' || state === 'wait call-back';
    if (deploying(to) && !deploying(from)) spans.set(m[2]!, { from: at, to: Infinity });
    else if (!deploying(to) && deploying(from)) spans.get(m[2]!)!.to = at;
  }
  return spans;
}

/** The most spans open at one moment (a span ending when another starts is not counted with it). */
function mostAtOnce(spans: readonly { from: number; to: number }[]): number {
  const events = spans.flatMap((s) => [
    { at: s.from, delta: 1 },
    { at: s.to, delta: -1 },
  ]);
  events.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let open = 0;
  let most = 0;
  for (const e of events) {
    open += e.delta;
    most = Math.max(most, open);
  }
  return most;
}
