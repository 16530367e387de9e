// A server that fails its deploy, as an operator meets it through the built executable and a real
// Ironic: create_vm moves on to another node in the same call, the failing node is quarantined in
// Ironic, `nodes` and `explain` say why and since when, `nodes --unquarantine` returns it, and one
// request id runs from the director's request through our log lines into Ironic's own log.
import fs from 'node:fs';
import path from 'node:path';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIronic, type IronicLab } from '../support/ironic-lab.js';
import { api, enrollFakeNode, waitFor, type FakeNode } from '../support/ironic-nodes.js';
import { globalRequestId } from '../../packages/backend-ironic/src/ironic/request-id.js';
import { Workspace, describeRun, expectDirectorResponse, runCpi, type CpiRun } from './helpers/cpi.js';

const ws = new Workspace('quarantine');
const RC = 'flaky';
let lab: IronicLab;
let images: http.Server;
let stemcell: string;
let configFile: string;
let stuck: FakeNode;
let spare: FakeNode;

const hybridCpi = (...argv: string[]): Promise<CpiRun> => runCpi('', '', { tmp: ws.dir, argv });

beforeAll(async () => {
  lab = await startIronic();
  // The `direct` deploy interface checks the image URL; this lab has no agent, so its deploy
  // waits in `wait call-back` for ever (test/support/ironic-lab.ts).
  images = http.createServer((req, res) => res.writeHead(200, { 'content-length': '4' }).end(req.method === 'HEAD' ? undefined : 'disk'));
  await new Promise<void>((resolve) => images.listen(0, '127.0.0.1', resolve));
  stemcell = `metal:qcow2:sha256:${'a'.repeat(64)}:http://127.0.0.1:${(images.address() as { port: number }).port}/stemcell.qcow2`;
  stuck = await enrollFakeNode(lab, { name: 'flaky-1', resourceClass: RC });
  await api(lab, 'PATCH', `/v1/nodes/${stuck.uuid}`, [
    { op: 'replace', path: '/deploy_interface', value: 'direct' },
    { op: 'replace', path: '/automated_clean', value: false },
  ]);
  // A failed deploy on record puts the spare after the clean node: the stuck node is tried first.
  spare = await enrollFakeNode(lab, { name: 'spare-1', resourceClass: RC });
  await api(lab, 'PATCH', `/v1/nodes/${spare.uuid}`, [{ op: 'add', path: '/extra/bosh_failures', value: { count: 1, recent: [] } }]);
  configFile = ws.writeConfig('cpi.json', {
    log_level: 'debug',
    agent: { mbus: 'nats://10.0.0.6:4222' },
    backends: { metal: { type: 'ironic', ironic: { url: lab.url }, deploy_callback_timeout_seconds: 2, quarantine_after: 1 } },
  });
});

afterAll(async () => {
  images?.close();
  await lab?.stop();
  ws.cleanup();
});

describe('a server whose deploy never calls back', () => {
  const requestId = 'cpi-424242';
  let vm: string;
  let run: CpiRun;

  it('create_vm ends its deploy, quarantines it and succeeds on another node in the same call', async () => {
    const request = {
      method: 'create_vm',
      arguments: ['agent-flaky-0', stemcell, { resource_class: RC }, { default: { type: 'dynamic', cloud_properties: {} } }, [], {}],
      context: { director_uuid: 'd', request_id: requestId },
      api_version: 2,
    };
    run = await runCpi(configFile, request, { tmp: ws.dir });
    const response = expectDirectorResponse(run);
    expect(response.error, describeRun(run)).toBeNull();
    vm = (response.result as string[])[0]!;
    expect((await api(lab, 'GET', `/v1/nodes?instance_uuid=${vm.slice('metal:'.length)}&fields=uuid`)).nodes[0].uuid).toBe(spare.uuid);
    expect(await waitFor(lab, stuck.uuid, 'manageable')).toMatchObject({ retired: true, instance_uuid: null, extra: { bosh_failures: { count: 1 } } });
  });

  it("one request id: the director's and Ironic's global one on our log lines, and in Ironic's own log", () => {
    const global = globalRequestId(requestId)!;
    const lines = run.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const quarantined = lines.find((l) => l['msg'] === 'quarantined the node: it leaves every pool until an operator returns it');
    expect(quarantined).toMatchObject({ request_id: requestId, global_request_id: global, node: stuck.uuid, step: 'wait call-back' });
    const requests = lines.filter((l) => l['msg'] === 'ironic request');
    expect(requests.length).toBeGreaterThan(10);
    expect(requests.filter((l) => l['request_id'] !== requestId || l['global_request_id'] !== global)).toEqual([]);
    const ironicLog = fs
      .readFileSync(path.join(lab.dir, 'ironic.log'), 'utf8')
      .split('\n')
      .filter((l) => l.includes(`[${global} req-`));
    expect(ironicLog.some((l) => l.includes(`PUT /v1/nodes/${stuck.uuid}/states/provision`))).toBe(true);
    expect(ironicLog.some((l) => l.includes(`PUT /v1/nodes/${spare.uuid}/states/provision`))).toBe(true);
    // The conductor's lines of the deploy carry it too.
    expect(ironicLog.some((l) => l.includes('ironic.conductor.deployments') && l.includes(`Successfully deployed node ${spare.uuid}`))).toBe(true);
  });

  it('nodes and explain show the quarantine, why and since when', async () => {
    const since = (await api(lab, 'GET', `/v1/nodes/${stuck.uuid}`)).extra.bosh_failures.quarantined_at as string;
    const nodes = await hybridCpi('nodes', '--config', configFile);
    expect(nodes.exitCode, describeRun(nodes)).toBe(0);
    const row = nodes.stdout.split('\n').find((l) => l.includes('flaky-1'))!;
    expect(row).toMatch(/ manageable +power \w+ +quarantined /);
    expect(row).toContain(
      `retired, quarantined by the CPI since ${since} after 1 failed deploy, the last at ${since} in wait call-back: no call-back from the deploy ` +
        `agent within deploy_callback_timeout_seconds (2 s)`,
    );
    const cloudConfig = ws.writeConfig('cloud-config.yml', `vm_types:\n- name: metal\n  cloud_properties: {resource_class: ${RC}}\n`);
    const explain = await hybridCpi('explain', '--config', configFile, '--cloud-config', cloudConfig, '--vm-type', 'metal');
    expect(explain.stdout).toContain(`  flaky-1 (${stuck.uuid}): quarantined by the CPI since ${since}`);
  });

  it('nodes --unquarantine returns it to the pool', async () => {
    const returned = await hybridCpi('nodes', '--config', configFile, '--unquarantine', 'flaky-1');
    expect(returned.exitCode, describeRun(returned)).toBe(0);
    expect(returned.stdout).toBe(
      `backend metal: node flaky-1 (${stuck.uuid}): forgot 1 failed deploy, un-retired it, provided it: Ironic cleans it, then it is available\n`,
    );
    expect(await waitFor(lab, stuck.uuid, 'available')).toMatchObject({ retired: false, extra: {} });
    const again = await hybridCpi('nodes', '--config', configFile, '--unquarantine', 'spare-1');
    expect(again.exitCode).toBe(1);
    expect(again.stdout).toMatch(/^backend metal: Returning node spare-1 from quarantine: the CPI did not quarantine it: it has no failed deploys on record/);
    const deleted = expectDirectorResponse(
      await runCpi(configFile, { method: 'delete_vm', arguments: [vm], context: { director_uuid: 'd' }, api_version: 2 }, { tmp: ws.dir }),
    );
    expect(deleted.error).toBeNull();
  });
});
