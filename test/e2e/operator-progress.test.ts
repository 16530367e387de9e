// `hybrid-cpi lifecycle` shows its waits: against a real Ironic whose fake deploy and power
// actions the harness slows down, the backend's progress (the deploy's state and time) arrives as
// JSON events with --json, and as lines on a terminal (a pseudo-terminal made by util-linux's
// `script`), never more than 10 s apart however long a step waits.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIronic, type IronicLab } from '../support/ironic-lab.js';
import { enrollFakeNodes, waitFor, type FakeNode } from '../support/ironic-nodes.js';
import { BINARY, Workspace, directorEnv } from './helpers/cpi.js';

const ws = new Workspace('progress');
/** Seconds each fake deploy (and undeploy) takes: longer than the 10 s a person may wait for a line. */
const DEPLOY_DELAY = 12;
const STEMCELL = `qcow2:sha256:${'a'.repeat(64)}:http://127.0.0.1:9/stemcell.qcow2`;
let lab: IronicLab;
let nodes: FakeNode[];

beforeAll(async () => {
  lab = await startIronic({ deployDelay: DEPLOY_DELAY, powerDelay: 1 });
  nodes = await enrollFakeNodes(lab, 2, (i) => ({ resourceClass: `progress-${i}` }));
});
afterAll(async () => {
  await lab?.stop();
  ws.cleanup();
});

/** A process's stdout lines, each with the time it arrived. */
interface TimedRun {
  readonly lines: { readonly at: number; readonly text: string }[];
  readonly exitCode: number | null;
  readonly stderr: string;
}

function runTimed(file: string, argv: readonly string[]): Promise<TimedRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { env: directorEnv(ws.dir), cwd: ws.dir, stdio: ['ignore', 'pipe', 'pipe'], timeout: 110_000, killSignal: 'SIGKILL' });
    const lines: { at: number; text: string }[] = [];
    let partial = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (partial + chunk).split(/\r?\n/);
      partial = parts.pop()!;
      for (const text of parts) lines.push({ at: Date.now(), text });
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (exitCode) => resolve({ lines: partial === '' ? lines : [...lines, { at: Date.now(), text: partial }], exitCode, stderr }));
  });
}

/** The longest time between two lines, in ms. */
function longestSilence(run: TimedRun): number {
  return Math.max(...run.lines.slice(1).map((line, i) => line.at - run.lines[i]!.at));
}

function lifecycleArgs(node: number): string[] {
  const config = ws.writeConfig(`cpi-${node}.json`, {
    agent: { mbus: 'nats://10.0.0.6:4222' },
    backends: { metal: { type: 'ironic', ironic: { url: lab.url, auth: { type: 'noauth' } } } },
  });
  const inputs = ws.writeConfig(`inputs-${node}.json`, {
    existing_stemcell: STEMCELL,
    parts: ['vms'],
    vm: { cloud_properties: { resource_class: `progress-${node}` } },
  });
  return ['lifecycle', '--config', config, '--backend', 'metal', '--inputs', inputs];
}

describe('lifecycle against a slow Ironic', () => {
  it('passes on the waits as they happen: JSON events with --json, lines on a terminal, at least one per 10 s', async () => {
    const [json, terminal] = await Promise.all([
      runTimed(BINARY, [...lifecycleArgs(0), '--json']),
      // A pseudo-terminal: what a person running the command sees.
      runTimed('/usr/bin/script', ['--quiet', '--return', '--command', [BINARY, ...lifecycleArgs(1)].map((a) => `'${a}'`).join(' '), '/dev/null']),
    ]);
    expect(json.exitCode, json.stderr + json.lines.map((l) => l.text).join('\n')).toBe(0);
    expect(terminal.exitCode, terminal.stderr + terminal.lines.map((l) => l.text).join('\n')).toBe(0);

    const events = json.lines.map(
      (l) => JSON.parse(l.text) as { event: string; name?: string; step?: string; ms?: number; message?: string; fields?: Record<string, unknown> },
    );
    const createVm = events.find((e) => e.event === 'step' && e.name!.startsWith('create_vm'))!;
    expect(createVm.ms).toBeGreaterThan(DEPLOY_DELAY * 1000 - 1000);
    // The backend's own progress: the deploy's state and elapsed time, as the CPI logs them.
    const deploying = events.filter((e) => e.event === 'progress' && e.step === createVm.name && e.message === 'deploying');
    expect(deploying.length).toBeGreaterThan(1);
    expect(deploying.at(-1)!.fields).toMatchObject({ node: nodes[0]!.uuid, state: expect.any(String), elapsed_s: expect.any(Number) });
    expect(events.some((e) => e.event === 'progress' && e.step!.startsWith('delete_vm'))).toBe(true);

    const text = terminal.lines.map((l) => l.text);
    expect(text).toContainEqual(expect.stringMatching(/^ {8}create_vm \d+ s: deploying \(vm \S+, node \S+, state \S+, \d+ s\)$/));
    expect(text).toContainEqual(expect.stringMatching(/^ok {6}create_vm returns a CID and the networks \(\d+ ms\)$/));
    expect(text.at(-1)).toMatch(/^\d+ steps: \d+ ok, 0 failed, 0 not run$/);

    for (const run of [json, terminal]) expect(longestSilence(run)).toBeLessThan(10_000);
    for (const node of nodes) await waitFor(lab, node.uuid, 'available');
  });
});
