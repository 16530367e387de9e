import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MockAgent } from 'undici';
import { cloudsYamlSearchPath, readCloud } from '../../../src/ironic/clouds-yaml.js';
import { connectIronic } from '../../../src/ironic/connect.js';
import { getNode } from '../../../src/ironic/nodes.js';
import { NODE, captureLogger, nodeFixture } from './helpers.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clouds-yaml-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

const FILE = write(
  'clouds.yaml',
  `
clouds:
  devstack:
    auth:
      auth_url: http://keystone.test/identity
      username: admin
      password: "devstack-pw"
      project_name: admin
      user_domain_id: default
      project_domain_id: default
    region_name: RegionOne
    interface: internal
    cacert: /etc/ssl/ca.pem
    identity_api_version: 3
  appcred:
    auth_type: v3applicationcredential
    auth:
      auth_url: http://keystone.test:5000/v3
      application_credential_id: ac1
      application_credential_secret: ac-secret
    verify: false
  bifrost:
    auth_type: http_basic
    auth:
      username: bifrost_user
      password: bifrost-pw
      endpoint: http://192.0.2.1:6385
    baremetal_endpoint_override: http://192.0.2.1:6385
    cert: /etc/ssl/client.pem
    key: /etc/ssl/client.key
  standalone:
    auth_type: none
    auth:
      endpoint: http://ironic.test:6385
  noendpoint:
    auth_type: none
  token:
    auth_type: v3token
    auth: {auth_url: http://k, token: t}
  badiface:
    auth: {auth_url: http://k, username: u, password: p}
    interface: sideways
  nouser:
    auth: {auth_url: http://k}
`,
);

describe('readCloud', () => {
  it('maps a password cloud (the default auth_type) to keystone', async () => {
    expect(await readCloud({ type: 'clouds_yaml', cloud: 'devstack', file: FILE })).toEqual({
      url: undefined,
      file: FILE,
      tls: { ca_file: '/etc/ssl/ca.pem' },
      auth: {
        type: 'keystone',
        auth_url: 'http://keystone.test/identity',
        username: 'admin',
        password: 'devstack-pw',
        project_name: 'admin',
        user_domain_id: 'default',
        project_domain_id: 'default',
        region_name: 'RegionOne',
        interface: 'internal',
      },
    });
  });

  it('maps an application credential, and verify: false to insecure', async () => {
    expect(await readCloud({ type: 'clouds_yaml', cloud: 'appcred', file: FILE })).toEqual({
      url: undefined,
      file: FILE,
      tls: { insecure: true },
      auth: { type: 'keystone', auth_url: 'http://keystone.test:5000/v3', application_credential_id: 'ac1', application_credential_secret: 'ac-secret' },
    });
  });

  it('maps http_basic and none, with the endpoint of standalone Ironic', async () => {
    expect(await readCloud({ type: 'clouds_yaml', cloud: 'bifrost', file: FILE })).toEqual({
      url: 'http://192.0.2.1:6385',
      file: FILE,
      tls: { cert_file: '/etc/ssl/client.pem', key_file: '/etc/ssl/client.key' },
      auth: { type: 'http_basic', username: 'bifrost_user', password: 'bifrost-pw' },
    });
    expect(await readCloud({ type: 'clouds_yaml', cloud: 'standalone', file: FILE })).toEqual({
      url: 'http://ironic.test:6385',
      file: FILE,
      tls: {},
      auth: { type: 'noauth' },
    });
  });

  it('names what is wrong, with the file', async () => {
    const read = (cloud: string, file = FILE) => readCloud({ type: 'clouds_yaml', cloud, file });
    await expect(read('nope')).rejects.toThrowError(
      `Reading clouds.yaml (${FILE}): there is no cloud 'nope' under clouds (it has devstack, appcred, bifrost, standalone, noendpoint, token, ` +
        `badiface, nouser)`,
    );
    await expect(read('noendpoint')).rejects.toThrowError(/clouds.noendpoint needs baremetal_endpoint_override or auth.endpoint with auth_type none/);
    await expect(read('token')).rejects.toThrowError(/clouds.token.auth_type v3token is not supported/);
    await expect(read('badiface')).rejects.toThrowError(/clouds.badiface.interface must be public, internal or admin/);
    await expect(read('nouser')).rejects.toThrowError(/clouds.nouser.auth.username is required with auth_type password/);
    await expect(read('x', path.join(dir, 'missing.yaml'))).rejects.toThrowError(/missing.yaml\): cannot read it: ENOENT/);
    await expect(read('x', write('bad.yaml', 'clouds: [unclosed'))).rejects.toThrowError(/bad.yaml\): not YAML/);
    await expect(read('x', write('empty.yaml', ''))).rejects.toThrowError(/there is no cloud 'x' under clouds \(it has none\)/);
    await expect(read('x', write('typed.yaml', 'clouds: {x: {auth_type: 3}}'))).rejects.toThrowError(/clouds.x.auth_type must be a non-empty string/);
  });

  it('searches the openstacksdk path when no file is named', async () => {
    const home = fs.mkdtempSync(path.join(dir, 'home-'));
    fs.mkdirSync(path.join(home, '.config', 'openstack'), { recursive: true });
    fs.copyFileSync(FILE, path.join(home, '.config', 'openstack', 'clouds.yaml'));
    expect(cloudsYamlSearchPath({ HOME: home, OS_CLIENT_CONFIG_FILE: '/x/c.yaml' })).toEqual([
      '/x/c.yaml',
      path.resolve('clouds.yaml'),
      path.join(home, '.config', 'openstack', 'clouds.yaml'),
      '/etc/openstack/clouds.yaml',
    ]);
    const cloud = await readCloud({ type: 'clouds_yaml', cloud: 'standalone' }, { HOME: home });
    expect(cloud.file).toBe(path.join(home, '.config', 'openstack', 'clouds.yaml'));
    await expect(
      readCloud({ type: 'clouds_yaml', cloud: 'standalone' }, { HOME: path.join(dir, 'nohome'), OS_CLIENT_CONFIG_FILE: path.join(dir, 'none.yaml') }),
    ).rejects.toThrowError(/no such file/);
  });
});

describe('connectIronic', () => {
  it('builds a keystone client from a clouds.yaml cloud, the config URL winning over the catalog', async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    try {
      agent
        .get('http://keystone.test')
        .intercept({ method: 'POST', path: '/identity/v3/auth/tokens' })
        .reply(201, { token: { catalog: [] } }, { headers: { 'x-subject-token': 'tok' } });
      agent
        .get('http://ironic.test:6385')
        .intercept({ method: 'GET', path: `/v1/nodes/${NODE}`, headers: { 'x-auth-token': 'tok', 'x-openstack-ironic-api-version': '1.52' } })
        .reply(200, nodeFixture());
      const client = await connectIronic(
        { url: 'http://ironic.test:6385', auth: { type: 'clouds_yaml', cloud: 'devstack', file: FILE } },
        { logger: captureLogger(), dispatcher: agent },
      );
      expect((await getNode(client, NODE)).uuid).toBe(NODE);
      await client.close(); // not its dispatcher: stays open
      agent.assertNoPendingInterceptors();
    } finally {
      await agent.close();
    }
  });

  it('defaults to noauth and makes (and closes) its own dispatcher', async () => {
    const client = await connectIronic({ url: 'http://127.0.0.1:9' }, { logger: captureLogger() });
    expect(client.microversion).toBe('1.52');
    await client.close();
  });

  it('passes microversion and retry through', async () => {
    const client = await connectIronic(
      { url: 'http://127.0.0.1:9', insecure: true },
      { logger: captureLogger(), microversion: '1.60', retry: { attempts: 1 } },
    );
    expect(client.microversion).toBe('1.60');
    await client.close();
  });
});
