import { describe, expect, it } from 'vitest';
import { basicAuthorization, baremetalEndpoint, keystoneTokenBody, tokensUrl, type KeystoneAuth } from '../../../src/ironic/auth.js';
import { isIronicHttpError } from '../../../src/ironic/errors.js';
import { ORIGIN, expectCall, useIronicMock } from './helpers.js';

const make = useIronicMock();
const KEYSTONE = 'http://keystone.test:5000';
const PASSWORD: KeystoneAuth = {
  type: 'keystone',
  auth_url: `${KEYSTONE}/v3`,
  username: 'bosh',
  password: 'pw-xyz-123',
  user_domain_name: 'Default',
  project_name: 'metal',
  project_domain_name: 'Default',
};
const PASSWORD_BODY = {
  auth: {
    identity: { methods: ['password'], password: { user: { name: 'bosh', domain: { name: 'Default' }, password: 'pw-xyz-123' } } },
    scope: { project: { name: 'metal', domain: { name: 'Default' } } },
  },
};
const catalog = (endpoints: object[]) => ({
  token: {
    catalog: [
      { type: 'identity', name: 'keystone', endpoints: [{ interface: 'public', region_id: 'RegionOne', url: KEYSTONE }] },
      { type: 'baremetal', name: 'ironic', endpoints },
    ],
  },
});
const CATALOG = catalog([
  { interface: 'internal', region_id: 'RegionOne', region: 'RegionOne', url: 'http://internal.test:6385' },
  { interface: 'public', region_id: 'RegionTwo', region: 'RegionTwo', url: 'http://two.test:6385' },
  { interface: 'public', region_id: 'RegionOne', region: 'RegionOne', url: `${ORIGIN}/` },
]);

function expectToken(agent: ReturnType<typeof make>['agent'], body: unknown, token = 'tok-1') {
  agent
    .get(KEYSTONE)
    .intercept({
      method: 'POST',
      path: '/v3/auth/tokens',
      headers: { 'content-type': 'application/json' },
      body: (b: string) => JSON.stringify(JSON.parse(b)) === JSON.stringify(body),
    })
    .reply(201, CATALOG, { headers: { 'x-subject-token': token, 'x-openstack-request-id': 'req-ks' } });
}

describe('http_basic', () => {
  it('sends the Authorization header on every call', async () => {
    const { pool, client } = make({ auth: { type: 'http_basic', username: 'admin', password: 'pässword' } });
    const header = `Basic ${Buffer.from('admin:pässword').toString('base64')}`;
    expectCall(pool, { method: 'GET', path: '/v1/nodes/n', headers: { authorization: header } })
      .reply(200, {})
      .times(2);
    await client.request('GET', '/v1/nodes/n');
    await client.request('GET', '/v1/nodes/n');
    expect(basicAuthorization({ type: 'http_basic', username: 'a', password: 'b' })).toBe('Basic YTpi');
  });

  it('turns a 401 into a hint to check the credentials', async () => {
    const { pool, client } = make({ auth: { type: 'http_basic', username: 'admin', password: 'wrong-pw' } });
    expectCall(pool, { method: 'GET', path: '/v1/nodes' }).reply(
      401,
      { error: { message: 'Incorrect username or password', code: 401 } },
      { headers: { 'www-authenticate': 'Basic realm="Baremetal API"' } },
    );
    const error = await client.request('GET', '/v1/nodes', { doing: 'Listing nodes' }).catch((e: unknown) => e);
    expect((error as Error).message).toBe(
      'Listing nodes: Ironic answered 401: Incorrect username or password. Check the credentials configured for this backend (ironic.auth).',
    );
    expect((error as Error).message).not.toContain('wrong-pw');
  });
});

describe('noauth', () => {
  it('sends no credentials', async () => {
    const { pool, client } = make();
    expectCall(pool, { method: 'GET', path: '/v1/x', headers: { authorization: (v) => v === undefined, 'x-auth-token': (v) => v === undefined } }).reply(
      200,
      {},
    );
    await client.request('GET', '/v1/x');
  });
});

describe('keystone', () => {
  it('gets a token with the password, uses X-Subject-Token and the catalog endpoint, once per client', async () => {
    const { agent, pool, client, logs } = make({ url: undefined, auth: { ...PASSWORD, region_name: 'RegionOne' } });
    expectToken(agent, PASSWORD_BODY);
    expectCall(pool, { method: 'GET', path: '/v1/nodes/a', headers: { 'x-auth-token': 'tok-1' } }).reply(200, {});
    expectCall(pool, { method: 'GET', path: '/v1/nodes/b', headers: { 'x-auth-token': 'tok-1' } }).reply(200, {});
    await client.request('GET', '/v1/nodes/a');
    await client.request('GET', '/v1/nodes/b');
    expect(await client.endpoint()).toBe(ORIGIN);
    expect(logs[0]!.fields).toMatchObject({ service: 'Keystone', method: 'POST', path: '/v3/auth/tokens', status: 201, requestId: 'req-ks' });
    expect(logs[0]!.msg).toBe('keystone request');
    const text = JSON.stringify(logs);
    expect(text).not.toContain('pw-xyz-123');
    expect(text).not.toContain('tok-1');
  });

  it('uses the configured URL over the catalog', async () => {
    const { agent, client } = make({ url: 'http://override.test:6385', auth: PASSWORD });
    expectToken(agent, PASSWORD_BODY);
    agent
      .get('http://override.test:6385')
      .intercept({ method: 'GET', path: '/v1/x', headers: { 'x-auth-token': 'tok-1' } })
      .reply(200, {});
    await client.request('GET', '/v1/x');
  });

  it('gets a new token once when Ironic answers 401 (expired)', async () => {
    const { agent, pool, client } = make({ auth: PASSWORD });
    expectToken(agent, PASSWORD_BODY, 'old');
    expectToken(agent, PASSWORD_BODY, 'new');
    expectCall(pool, { method: 'GET', path: '/v1/x', headers: { 'x-auth-token': 'old' } }).reply(401, { error: { message: 'expired' } });
    expectCall(pool, { method: 'GET', path: '/v1/x', headers: { 'x-auth-token': 'new' } }).reply(200, { ok: 1 });
    expect((await client.request('GET', '/v1/x')).body).toEqual({ ok: 1 });
  });

  it('gives up after the second 401', async () => {
    const { agent, pool, client } = make({ auth: PASSWORD });
    expectToken(agent, PASSWORD_BODY, 'a');
    expectToken(agent, PASSWORD_BODY, 'b');
    expectCall(pool, { method: 'GET', path: '/v1/x' })
      .reply(401, { error: { message: 'no' } })
      .times(2);
    await expect(client.request('GET', '/v1/x')).rejects.toThrowError(/Ironic answered 401: no\. Check the credentials/);
  });

  it('sends an application credential without scope', async () => {
    const auth: KeystoneAuth = {
      type: 'keystone',
      auth_url: KEYSTONE,
      application_credential_id: 'ac-id',
      application_credential_secret: 'ac-secret',
      region_name: 'RegionOne',
    };
    const { agent, pool, client } = make({ url: undefined, auth });
    expectToken(agent, { auth: { identity: { methods: ['application_credential'], application_credential: { id: 'ac-id', secret: 'ac-secret' } } } });
    expectCall(pool, { method: 'GET', path: '/v1/x', headers: { 'x-auth-token': 'tok-1' } }).reply(200, {});
    await client.request('GET', '/v1/x');
  });

  it('reports a refused token with the hint, without the password, and tries again next time', async () => {
    const { agent, pool, client } = make({ auth: PASSWORD });
    agent
      .get(KEYSTONE)
      .intercept({ method: 'POST', path: '/v3/auth/tokens' })
      .reply(401, { error: { code: 401, message: 'The request you have made requires authentication.', title: 'Unauthorized' } });
    const error = await client.request('GET', '/v1/x', { doing: 'Getting node x' }).catch((e: unknown) => e);
    expect(isIronicHttpError(error)).toBe(true);
    expect((error as Error).message).toBe(
      `Getting a Keystone token from ${KEYSTONE}/v3/auth/tokens for user 'bosh' of domain 'Default' in project 'metal' of domain 'Default': Keystone ` +
        `answered 401: The request you have made requires authentication. Check the credentials configured for this backend (ironic.auth, or the ` +
        `cloud in clouds.yaml).`,
    );
    expect((error as Error).message).not.toContain('pw-xyz-123');
    expectToken(agent, PASSWORD_BODY);
    expectCall(pool, { method: 'GET', path: '/v1/x' }).reply(200, {});
    await client.request('GET', '/v1/x');
  });

  it('refuses a token answer without X-Subject-Token', async () => {
    const { agent, client } = make({ auth: PASSWORD });
    agent.get(KEYSTONE).intercept({ method: 'POST', path: '/v3/auth/tokens' }).reply(201, CATALOG);
    await expect(client.request('GET', '/v1/x')).rejects.toThrowError(/Keystone answered 201 without an X-Subject-Token header/);
  });

  it('retries a token request whose connection broke', async () => {
    const { agent, pool, client, sleeps } = make({ auth: PASSWORD });
    agent
      .get(KEYSTONE)
      .intercept({ method: 'POST', path: '/v3/auth/tokens' })
      .replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    expectToken(agent, PASSWORD_BODY);
    expectCall(pool, { method: 'GET', path: '/v1/x' }).reply(200, {});
    await client.request('GET', '/v1/x');
    expect(sleeps).toHaveLength(1);
  });
});

describe('keystone helpers', () => {
  it('build the tokens URL with or without /v3', () => {
    expect(tokensUrl('http://k:5000').href).toBe('http://k:5000/v3/auth/tokens');
    expect(tokensUrl('http://k:5000/v3/').href).toBe('http://k:5000/v3/auth/tokens');
    expect(tokensUrl('https://cloud/identity').href).toBe('https://cloud/identity/v3/auth/tokens');
  });

  it('default both domains to the id "default" and prefer ids', () => {
    expect(keystoneTokenBody({ type: 'keystone', auth_url: 'x', username: 'u', password: 'p', project_name: 'p1' })).toEqual({
      auth: {
        identity: { methods: ['password'], password: { user: { name: 'u', domain: { id: 'default' }, password: 'p' } } },
        scope: { project: { name: 'p1', domain: { id: 'default' } } },
      },
    });
    expect(
      keystoneTokenBody({
        type: 'keystone',
        auth_url: 'x',
        username: 'u',
        password: 'p',
        user_domain_id: 'd1',
        user_domain_name: 'ignored',
        project_id: 'pid',
      }),
    ).toEqual({
      auth: { identity: { methods: ['password'], password: { user: { name: 'u', domain: { id: 'd1' }, password: 'p' } } }, scope: { project: { id: 'pid' } } },
    });
    expect(keystoneTokenBody({ type: 'keystone', auth_url: 'x', username: 'u', password: 'p' })).toEqual({
      auth: { identity: { methods: ['password'], password: { user: { name: 'u', domain: { id: 'default' }, password: 'p' } } } },
    });
  });

  it('refuse incomplete credentials', () => {
    expect(() => keystoneTokenBody({ type: 'keystone', auth_url: 'x', username: 'u' })).toThrowError(
      'Authenticating to Keystone: set username and password, or application_credential_id and application_credential_secret in ironic.auth',
    );
    expect(() => keystoneTokenBody({ type: 'keystone', auth_url: 'x', application_credential_id: 'i' })).toThrowError(/go together/);
  });

  it('pick the baremetal endpoint by interface and region', () => {
    const services = CATALOG.token.catalog;
    expect(baremetalEndpoint(services, {})).toBe('http://two.test:6385');
    expect(baremetalEndpoint(services, { region_name: 'RegionOne' })).toBe(`${ORIGIN}/`);
    expect(baremetalEndpoint(services, { interface: 'internal' })).toBe('http://internal.test:6385');
    expect(() => baremetalEndpoint(services, { interface: 'admin' })).toThrowError(
      'Finding Ironic in the Keystone catalog: no admin baremetal endpoint (offered: internal@RegionOne, public@RegionTwo, public@RegionOne)',
    );
    expect(() => baremetalEndpoint(services, { region_name: 'RegionX' })).toThrowError(/no public baremetal endpoint in region RegionX/);
    expect(() => baremetalEndpoint([services[0]], {})).toThrowError(
      'Finding Ironic in the Keystone catalog: there is no service of type baremetal (the catalog has identity); set ironic.url',
    );
    expect(() => baremetalEndpoint(undefined, {})).toThrowError(/the catalog has nothing/);
  });
});
