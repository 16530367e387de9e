// The Ironic backend through the built executable, against a real Ironic on loopback: many
// create_vm processes at once, processes killed at random moments, and authentication.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIronic, type IronicLab } from '../support/ironic-lab.js';
import { api, enrollFakeNodes, waitFor, type FakeNode } from '../support/ironic-nodes.js';
import { vmCidFor } from '../../packages/backend-ironic/src/node/vm-cid.js';
import { Workspace, expectDirectorResponse, mapLimit, runCpi, type CpiResponse } from './helpers/cpi.js';

const STEMCELL = `metal:qcow2:sha256:${'a'.repeat(64)}:http://127.0.0.1:9/stemcell.qcow2`;
const ws = new Workspace('ironic');
let lab: IronicLab;

function config(name: string, claim: 'allocation' | 'instance_uuid', auth: Record<string, unknown> = { type: 'noauth' }): string {
  return ws.writeConfig(name, {
    log_level: 'info',
    agent: { mbus: 'nats://10.0.0.6:4222' },
    backends: { metal: { type: 'ironic', claim, ironic: { url: lab.url, auth } } },
  });
}

function createVm(configFile: string, agentId: string, resourceClass: string, timeoutMs?: number) {
  const request = {
    method: 'create_vm',
    arguments: [agentId, STEMCELL, { resource_class: resourceClass }, { default: { type: 'dynamic', cloud_properties: {} } }, [], {}],
    context: { director_uuid: 'd', request_id: `cpi-${randomUUID().slice(0, 6)}` },
    api_version: 2,
  };
  return runCpi(configFile, request, { tmp: ws.path(), ...(timeoutMs === undefined ? {} : { timeoutMs }) });
}

function call(configFile: string, method: string, args: unknown[]) {
  return runCpi(configFile, { method, arguments: args, context: { director_uuid: 'd' }, api_version: 2 }, { tmp: ws.path() });
}

/** Nodes of a resource class that carry a claim. */
async function claimed(resourceClass: string): Promise<{ uuid: string; instance_uuid: string }[]> {
  return (await api(lab, 'GET', `/v1/nodes?resource_class=${resourceClass}&associated=true&fields=uuid,instance_uuid`)).nodes;
}

beforeAll(async () => {
  lab = await startIronic();
});
afterAll(async () => {
  await lab?.stop();
  ws.cleanup();
});

for (const claim of ['allocation', 'instance_uuid'] as const) {
  describe(`many create_vm processes at once, claiming by ${claim}`, () => {
    const rc = `conc-${claim.replace('_', '-')}`;
    let nodes: FakeNode[];
    let file: string;
    beforeAll(async () => {
      nodes = await enrollFakeNodes(lab, 20, () => ({ resourceClass: rc }));
      file = config(`${claim}.json`, claim);
    });

    it('20 processes on 20 free nodes get 20 distinct nodes', async () => {
      const agents = Array.from({ length: 20 }, (_, i) => `agent-${claim}-${i}`);
      const runs = await Promise.all(agents.map((agent) => createVm(file, agent, rc)));
      const responses = runs.map(expectDirectorResponse);
      expect(responses.filter((r) => r.error !== null).map((r) => r.error)).toEqual([]);
      const owners = await claimed(rc);
      expect(new Set(owners.map((n) => n.uuid)).size).toBe(20);
      expect(new Set(owners.map((n) => n.instance_uuid))).toEqual(new Set(responses.map((r) => (r.result as string[])[0]!.slice('metal:'.length))));
      await mapLimit(responses, 5, async (r) => expect(expectDirectorResponse(await call(file, 'delete_vm', [(r.result as string[])[0]])).error).toBeNull());
      expect(await claimed(rc)).toEqual([]);
    });

    it('20 processes on 10 free nodes: 10 succeed, 10 fail with VMCreationFailed, nothing is left claimed', async () => {
      const spare = nodes.slice(10);
      for (const node of spare) await api(lab, 'PUT', `/v1/nodes/${node.uuid}/maintenance`, { reason: 'out of the pool for this test' });
      try {
        const runs = await Promise.all(Array.from({ length: 20 }, (_, i) => createVm(file, `agent-${claim}-half-${i}`, rc)));
        const responses: CpiResponse[] = runs.map(expectDirectorResponse);
        const ok = responses.filter((r) => r.error === null);
        const failed = responses.filter((r) => r.error !== null);
        expect(ok).toHaveLength(10);
        expect(failed.map((r) => r.error!.type)).toEqual(Array(10).fill('Bosh::Clouds::VMCreationFailed'));
        expect((await claimed(rc)).length).toBe(10);
        await mapLimit(ok, 5, async (r) => expectDirectorResponse(await call(file, 'delete_vm', [(r.result as string[])[0]])));
        expect(await claimed(rc)).toEqual([]);
      } finally {
        for (const node of spare) await api(lab, 'DELETE', `/v1/nodes/${node.uuid}/maintenance`);
      }
    });
  });
}

describe('create_vm killed with SIGKILL at random moments', () => {
  it('followed by a retry with the same agent_id or by delete_vm, leaves no node claimed', async () => {
    const rc = 'killed';
    const nodes = await enrollFakeNodes(lab, 3, () => ({ resourceClass: rc }));
    const file = config('killed.json', 'allocation');
    let interrupted = 0;
    let seed = 0x2b1d;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    // Kill times are drawn within how long a whole create_vm takes on this machine now, so that
    // they land inside it however fast or busy the machine is.
    const whole = await createVm(file, 'agent-killed-baseline', rc);
    expect(expectDirectorResponse(whole).error).toBeNull();
    expect(expectDirectorResponse(await call(file, 'delete_vm', [`metal:${vmCidFor('agent-killed-baseline')}`])).error).toBeNull();
    const window = Math.max(100, whole.ms * 0.9 - 50);
    for (let i = 0; i < 20; i++) {
      const agent = `agent-killed-${i}`;
      const killed = await createVm(file, agent, rc, 50 + Math.floor(random() * window));
      if (killed.signal === 'SIGKILL') interrupted++;
      const cid = `metal:${vmCidFor(agent)}`;
      if (i % 2 === 0) {
        const retried = expectDirectorResponse(await createVm(file, agent, rc));
        expect(retried.error, `retry ${i} after ${killed.signal ?? 'exit'} at ${Math.round(killed.ms)} ms`).toBeNull();
        expect((retried.result as string[])[0]).toBe(cid);
      }
      expect(expectDirectorResponse(await call(file, 'delete_vm', [cid])).error).toBeNull();
      expect(await claimed(rc), `after round ${i}`).toEqual([]);
    }
    for (const node of nodes) expect((await waitFor(lab, node.uuid, 'available')).extra).toEqual({});
    // The kills must land inside create_vm, not after it answered.
    expect(interrupted).toBeGreaterThanOrEqual(10);
  });
});

describe('authentication', () => {
  let basic: IronicLab;
  const password = `pw-${randomUUID()}`;
  beforeAll(async () => {
    basic = await startIronic({ auth: { type: 'http_basic', username: 'cpi', password } });
  });
  afterAll(async () => basic?.stop());

  function basicConfig(name: string, pw: string): string {
    return ws.writeConfig(name, {
      log_level: 'debug',
      backends: { metal: { type: 'ironic', ironic: { url: basic.url, auth: { type: 'http_basic', username: 'cpi', password: pw } } } },
    });
  }

  it('http_basic works with the right password', async () => {
    const run = await call(basicConfig('basic-ok.json', password), 'has_vm', [`metal:${randomUUID()}`]);
    expect(expectDirectorResponse(run)).toMatchObject({ result: false, error: null });
    expect(run.stderr + run.stdout).not.toContain(password);
  });

  it('a wrong password gives a clear error and no secret in any output', async () => {
    const wrong = `wrong-${randomUUID()}`;
    const run = await call(basicConfig('basic-wrong.json', wrong), 'has_vm', [`metal:${randomUUID()}`]);
    const response = expectDirectorResponse(run);
    expect(response.error?.type).toBe('Bosh::Clouds::CloudError');
    expect(response.error?.message).toMatch(/401.*Incorrect username or password.*credentials/s);
    expect(run.stderr).toContain('"level":"debug"');
    for (const secret of [wrong, password]) expect(run.stderr + run.stdout).not.toContain(secret);
  });

  it('noauth works against a noauth Ironic', async () => {
    expect(expectDirectorResponse(await call(config('noauth.json', 'allocation'), 'has_vm', [`metal:${randomUUID()}`]))).toMatchObject({
      result: false,
      error: null,
    });
  });
});
