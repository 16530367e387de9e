// Ironic behind a real Keystone: one Keystone (test/support/keystone-lab.ts) and one Ironic with
// auth_strategy = keystone for this file, and the Ironic backend driven through each auth type
// the config offers. Tokens live TOKEN_SECONDS, as long as a fake deploy or undeploy, so every
// VM's life outlives the token it started with and the client must get a new one mid-wait.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCpiError, silentLogger, type Backend, type BackendName, type DoctorContext, type LogFn, type Logger } from '@hybrid-cpi/core';
import { startIronic, type IronicLab } from '../support/ironic-lab.js';
import { api, enrollFakeNode, removeNodes } from '../support/ironic-nodes.js';
import { REGION, startKeystone, type KeystoneLab, type KeystoneUser } from '../support/keystone-lab.js';
import { checkIronic } from '../../packages/backend-ironic/src/operator/doctor-ironic.js';
import { createIronicBackend } from '../../packages/backend-ironic/src/backend.js';
import type { IronicConfig } from '../../packages/backend-ironic/src/config.js';
import { STEMCELL, call } from '../../packages/backend-ironic/test/integration/helpers.js';

const TOKEN_SECONDS = 6;
const RESOURCE_CLASS = 'keystone-lab';

let keystone: KeystoneLab;
let ironic: IronicLab;
let bosh: KeystoneUser;
let credential: { id: string; secret: string };
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'keystone-test-'));
const nodes: string[] = [];

beforeAll(async () => {
  keystone = await startKeystone({ tokenExpirationSeconds: TOKEN_SECONDS });
  // Each fake deploy step sleeps this long: a deploy and an undeploy have two each, so every
  // lifecycle outlives the token it started with. Shorter tokens make the lab's own requests
  // (enrolling nodes) race their expiry.
  ironic = await startIronic({ auth: { type: 'keystone', keystone }, deployDelay: TOKEN_SECONDS / 2, automatedClean: false });
  bosh = await keystone.createUser('bosh', { project: 'baremetal', role: 'admin' });
  credential = await keystone.createApplicationCredential(bosh);
});
afterAll(async () => {
  try {
    if (ironic !== undefined) await removeNodes(ironic, nodes);
  } finally {
    await ironic?.stop();
    await keystone?.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
});

type Auth = NonNullable<IronicConfig['ironic']['auth']>;

function backend(auth: Auth, logger: Logger = silentLogger, url?: string): Promise<Backend> {
  const config: IronicConfig = { type: 'ironic', ironic: { ...(url === undefined ? {} : { url }), auth } };
  return createIronicBackend(config, { name: 'metal' as BackendName, logger, agent: { mbus: 'nats://10.0.0.6:4222' } });
}

/** The client's request lines: which service, which path, which status. */
class RequestLog implements Logger {
  readonly requests: { service: string; method: string; path: string; status: number | undefined }[] = [];
  readonly #record: LogFn = ((fields: Record<string, unknown> | string) => {
    if (typeof fields === 'object' && typeof fields['service'] === 'string' && typeof fields['path'] === 'string' && fields['reason'] === undefined) {
      this.requests.push({
        service: fields['service'],
        method: String(fields['method']),
        path: fields['path'],
        status: fields['status'] as number | undefined,
      });
    }
  }) as LogFn;
  trace = this.#record;
  debug = this.#record;
  info = this.#record;
  warn = this.#record;
  error = this.#record;
  isLevelEnabled = () => true;
  child = () => this;
  count(service: string, status: number): number {
    return this.requests.filter((r) => r.service === service && r.status === status).length;
  }
}

/** A whole VM on a node of its own, found by MAC; returns what the client sent. */
async function lifecycle(auth: Auth, agentId: string, url?: string): Promise<RequestLog> {
  const node = await enrollFakeNode(ironic, { resourceClass: RESOURCE_CLASS });
  nodes.push(node.uuid);
  const log = new RequestLog();
  const metal = await backend(auth, log, url);
  try {
    const networks = { default: { type: 'dynamic', cloud_properties: {} } };
    const vm = await metal.createVm(call('create_vm'), {
      agentId,
      stemcellCid: STEMCELL,
      cloudProperties: { macs: node.macs },
      networks,
      diskCids: [],
      env: {},
    });
    expect((await api(ironic, 'GET', `/v1/nodes/${node.uuid}`)).provision_state).toBe('active');
    expect(await metal.hasVm(call('has_vm'), vm.cid)).toBe(true);
    await metal.deleteVm(call('delete_vm'), vm.cid);
    expect(await metal.hasVm(call('has_vm'), vm.cid)).toBe(false);
  } finally {
    await metal.close?.();
  }
  return log;
}

/** The token outlived: Ironic refused it once, and the client got a new one and went on. */
function expectReauthenticated(log: RequestLog): void {
  expect(log.count('Ironic', 401), JSON.stringify(log.requests)).toBeGreaterThanOrEqual(1);
  expect(log.count('Keystone', 201)).toBeGreaterThanOrEqual(2);
  expect(log.requests.at(-1)?.status).toBe(200);
}

function writeClouds(clouds: Record<string, unknown>): string {
  const file = path.join(work, `clouds-${Object.keys(clouds).join('-')}.yaml`);
  fs.writeFileSync(file, JSON.stringify({ clouds }));
  return file;
}

describe.concurrent('the Ironic backend through a real Keystone, each auth type, across a token expiry', () => {
  it('password, with Ironic found in the catalog', async () => {
    const log = await lifecycle(
      { type: 'keystone', auth_url: keystone.authUrl, username: bosh.name, password: bosh.password, project_name: bosh.project, region_name: REGION },
      'agent-ks-password',
    );
    expectReauthenticated(log);
    // No ironic.url: every Ironic request went to the catalog's baremetal endpoint.
    expect(log.requests.filter((r) => r.service === 'Ironic').length).toBeGreaterThan(5);
  });

  it('application credential, with ironic.url', async () => {
    const log = await lifecycle(
      { type: 'keystone', auth_url: `${keystone.url}/`, application_credential_id: credential.id, application_credential_secret: credential.secret },
      'agent-ks-appcred',
      ironic.url,
    );
    expectReauthenticated(log);
  });

  it('clouds.yaml: a password cloud and an application-credential cloud', async () => {
    const file = writeClouds({
      lab: {
        auth_type: 'password',
        region_name: REGION,
        interface: 'internal',
        auth: {
          auth_url: keystone.authUrl,
          username: bosh.name,
          password: bosh.password,
          project_name: bosh.project,
          user_domain_name: 'Default',
          project_domain_name: 'Default',
        },
      },
      labcred: {
        auth_type: 'v3applicationcredential',
        auth: { auth_url: keystone.authUrl, application_credential_id: credential.id, application_credential_secret: credential.secret },
      },
    });
    const [password, appcred] = await Promise.all([
      lifecycle({ type: 'clouds_yaml', cloud: 'lab', file }, 'agent-ks-clouds'),
      lifecycle({ type: 'clouds_yaml', cloud: 'labcred', file }, 'agent-ks-clouds-cred'),
    ]);
    expectReauthenticated(password!);
    expectReauthenticated(appcred!);
  });
});

describe('wrong credentials', () => {
  /** The error of has_vm with this auth: it names where and who, never the secret. */
  async function refusal(auth: Auth, secret: string): Promise<string> {
    const metal = await backend(auth);
    try {
      await metal.hasVm(call('has_vm'), 'cc4c0f0c-c188-596a-8606-e5258d2535ae' as never);
    } catch (error) {
      expect(isCpiError(error), String(error)).toBe(true);
      const { message } = error as Error;
      expect(message).not.toContain(secret);
      return message;
    } finally {
      await metal.close?.();
    }
    throw new Error('expected Keystone to refuse the credentials');
  }

  it('a wrong password names the auth URL and the user', async () => {
    const message = await refusal(
      { type: 'keystone', auth_url: keystone.authUrl, username: bosh.name, password: 'not-the-password-8d1f', project_name: bosh.project },
      'not-the-password-8d1f',
    );
    expect(message).toContain(`${keystone.authUrl}/auth/tokens`);
    expect(message).toContain(`user 'bosh'`);
    expect(message).toMatch(/Keystone answered 401/);
  });

  it('a wrong application credential secret names the credential', async () => {
    const message = await refusal(
      { type: 'keystone', auth_url: keystone.authUrl, application_credential_id: credential.id, application_credential_secret: 'wrong-secret-77aa' },
      'wrong-secret-77aa',
    );
    expect(message).toContain(keystone.authUrl);
    expect(message).toContain(`application credential ${credential.id}`);
  });

  it('a project the user has no role on is refused by Keystone, naming the project', async () => {
    const message = await refusal(
      { type: 'keystone', auth_url: keystone.authUrl, username: bosh.name, password: bosh.password, project_name: 'admin' },
      bosh.password,
    );
    expect(message).toContain(`user 'bosh'`);
    expect(message).toContain(`project 'admin'`);
  });
});

/** The doctor's context of backend `metal`: each finding as a JSON line into `lines`. */
function doctorContext(lines: string[]): DoctorContext {
  return { name: 'metal' as BackendName, seams: {}, signal: new AbortController().signal, report: (finding) => lines.push(JSON.stringify(finding)) };
}

describe('hybrid-cpi doctor', () => {
  it('reports the Keystone checks it makes: a token, and Ironic in the catalog', async () => {
    const lines: string[] = [];
    const config: IronicConfig = {
      type: 'ironic',
      ironic: { auth: { type: 'keystone', auth_url: keystone.authUrl, username: bosh.name, password: bosh.password, project_name: bosh.project } },
    };
    await checkIronic(config, doctorContext(lines));
    const text = lines.join('\n');
    expect(text).toContain(`Keystone at ${keystone.authUrl}/auth/tokens issued a token for user 'bosh' in project 'baremetal' (valid until 20`);
    expect(text).toContain(`the catalog's public baremetal endpoint is ${ironic.url}`);
    expect(text).toContain(`Ironic at ${ironic.url} answers`);
    expect(text).toContain('credentials accepted (auth keystone)');
    expect(text).not.toContain(bosh.password);
  });

  it('says what Keystone refused', async () => {
    const lines: string[] = [];
    const config: IronicConfig = {
      type: 'ironic',
      ironic: { auth: { type: 'keystone', auth_url: keystone.authUrl, username: bosh.name, password: 'wrong-password-0b0b', project_name: bosh.project } },
    };
    await checkIronic(config, doctorContext(lines));
    const text = lines.join('\n');
    expect(text).toContain(
      `Keystone at ${keystone.authUrl}/auth/tokens refused user 'bosh' in project 'baremetal' (401: The request you have made requires authentication)`,
    );
    expect(text).not.toContain('wrong-password-0b0b');
  });
});
