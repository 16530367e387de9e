// A real OpenStack Keystone (Debian's python3-keystone, fernet tokens, sqlite) on 127.0.0.1 and a
// random port, for the integration tier's Keystone tests. Keystone runs as the WSGI application it
// is, served by test/support/keystone/launch.py, not through the `keystone` package's service
// set-up; `keystone-manage` (db_sync, fernet_setup, bootstrap) prepares it. It stops with the
// process that started it and removes its temp dir on stop().
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './free-port.ts';
import { stopChild } from './stop-child.ts';
import { waitReady } from './wait-ready.ts';

const PYTHON = '/usr/bin/python3'; // Debian's: the pyenv python first on PATH cannot see dist-packages
const LAUNCH = path.join(import.meta.dirname, 'keystone', 'launch.py');
const KEYSTONE_MANAGE = 'import sys; sys.argv = ["keystone-manage"] + sys.argv[1:]; from keystone.cmd.manage import main; sys.exit(main())';
export const REGION = 'RegionOne';

export interface KeystoneLabOptions {
  /** `[token] expiration`: how long a token lives (default 3600). */
  readonly tokenExpirationSeconds?: number;
}

export interface KeystoneUser {
  readonly id: string;
  readonly name: string;
  readonly password: string;
  readonly project: string;
}

export interface KeystoneLab {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** `${url}/v3`, what clients name as auth_url. */
  readonly authUrl: string;
  readonly dir: string;
  readonly pid: number;
  readonly tokenExpirationSeconds: number;
  /** The bootstrap admin (role admin on project admin); its password is random. */
  readonly admin: KeystoneUser;
  /** A token of `user`, scoped to its project. */
  token(user: KeystoneUser): Promise<string>;
  /** A token of the admin, renewed in the background so that it always has most of its life left. */
  readonly adminToken: string;
  /** One identity API call as the admin; throws unless 2xx. */
  api(method: string, path: string, body?: unknown): Promise<any>;
  /** A user of the default domain with `role` on `project` (made when missing). */
  createUser(name: string, options: { project: string; role: string; password?: string }): Promise<KeystoneUser>;
  /** An application credential of `user` for its project, as the user makes it. */
  createApplicationCredential(user: KeystoneUser): Promise<{ id: string; secret: string }>;
  /** A service of `type` with public, internal and admin endpoints at `url` in {@link REGION}. */
  addService(type: string, name: string, url: string): Promise<void>;
  stop(): Promise<void>;
}

export function keystoneAvailable(): boolean {
  return spawnSync(PYTHON, ['-c', 'import keystone.server.wsgi'], { stdio: 'ignore' }).status === 0;
}

export async function startKeystone(options: KeystoneLabOptions = {}): Promise<KeystoneLab> {
  if (!keystoneAvailable()) throw new Error('Debian python3-keystone is not installed: run scripts/setup.sh (npm test does)');
  const expiration = options.tokenExpirationSeconds ?? 3600;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keystone-lab-'));
  try {
    const conf = writeConfig(dir, expiration);
    const adminPassword = randomBytes(12).toString('hex');
    manage(conf, ['db_sync']);
    // Write-ahead logging: a read session Keystone still holds open in a request would otherwise
    // lock out that request's own write ("database is locked" after 5 s).
    python(['-c', 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute("PRAGMA journal_mode=WAL")', path.join(dir, 'keystone.sqlite')]);
    manage(conf, ['fernet_setup', '--keystone-user', 'root', '--keystone-group', 'root']);
    // No region nor endpoints yet: the port is known only once the server listens.
    manage(conf, ['bootstrap', '--bootstrap-password', adminPassword]);
    const admin: KeystoneUser = { id: '', name: 'admin', password: adminPassword, project: 'admin' };
    // A port found free can be taken before Keystone binds it; it then exits, and we try another.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const log = fs.openSync(path.join(dir, 'stdout.log'), 'a');
      const child = spawn(PYTHON, [LAUNCH, conf, String(port)], {
        env: { ...process.env, KEYSTONE_LAB_PARENT: String(process.pid), PYTHONUNBUFFERED: '1' },
        stdio: ['ignore', log, log],
      });
      fs.closeSync(log);
      const url = `http://127.0.0.1:${port}`;
      if (!(await waitReady(`${url}/v3`, child))) {
        if (attempt < 3) continue;
        throw new Error(`Keystone did not start; see ${path.join(dir, 'keystone.log')} and stdout.log`);
      }
      // The random admin password is the sentinel: only our Keystone accepts it.
      const lab = new Lab(url, dir, child, expiration, admin);
      await lab.start();
      await lab.api('POST', '/v3/regions', { region: { id: REGION } });
      await lab.addService('identity', 'keystone', lab.authUrl);
      return lab;
    }
  } catch (error) {
    if (process.env['KEEP_KEYSTONE_LAB'] === undefined) fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

class Lab implements KeystoneLab {
  readonly url: string;
  readonly authUrl: string;
  readonly dir: string;
  readonly pid: number;
  readonly tokenExpirationSeconds: number;
  readonly #child: ChildProcess;
  #admin: KeystoneUser;
  #adminToken = '';
  #renewal: NodeJS.Timeout | undefined;

  constructor(url: string, dir: string, child: ChildProcess, tokenExpirationSeconds: number, admin: KeystoneUser) {
    this.url = url;
    this.authUrl = `${url}/v3`;
    this.dir = dir;
    this.#child = child;
    this.pid = child.pid!;
    this.tokenExpirationSeconds = tokenExpirationSeconds;
    this.#admin = admin;
  }

  get admin(): KeystoneUser {
    return this.#admin;
  }

  get adminToken(): string {
    return this.#adminToken;
  }

  async start(): Promise<void> {
    await this.#renew();
    const me = await this.api('GET', `/v3/users?name=${this.#admin.name}`);
    this.#admin = { ...this.#admin, id: me.users[0].id };
    // Renewed at a third of its life: a token handed out has two thirds left.
    this.#renewal = setInterval(() => void this.#renew().catch(() => undefined), (this.tokenExpirationSeconds * 1000) / 3);
    this.#renewal.unref();
  }

  async #renew(): Promise<void> {
    this.#adminToken = await this.token(this.#admin);
  }

  async token(user: KeystoneUser): Promise<string> {
    const body = {
      auth: {
        identity: { methods: ['password'], password: { user: { name: user.name, domain: { id: 'default' }, password: user.password } } },
        scope: { project: { name: user.project, domain: { id: 'default' } } },
      },
    };
    const response = await fetch(`${this.authUrl}/auth/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (response.status !== 201) throw new Error(`Keystone lab: a token for ${user.name} answered ${response.status}: ${await response.text()}`);
    return response.headers.get('x-subject-token')!;
  }

  async api(method: string, urlPath: string, body?: unknown, token?: string): Promise<any> {
    const send = (auth: string) =>
      fetch(`${this.url}${urlPath}`, {
        method,
        headers: { 'content-type': 'application/json', 'x-auth-token': auth },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    let response = await send(token ?? this.#adminToken);
    // The lab's tokens live seconds (to test re-authentication); on a loaded machine the admin's
    // may expire before its renewal: renew it now and ask once more.
    if (response.status === 401 && token === undefined) {
      await this.#renew();
      response = await send(this.#adminToken);
    }
    const text = await response.text();
    if (!response.ok) throw new Error(`Keystone lab: ${method} ${urlPath} answered ${response.status}: ${text}`);
    return text === '' ? undefined : JSON.parse(text);
  }

  async createUser(name: string, options: { project: string; role: string; password?: string }): Promise<KeystoneUser> {
    const password = options.password ?? randomBytes(12).toString('hex');
    const projects = await this.api('GET', `/v3/projects?name=${encodeURIComponent(options.project)}`);
    const project = projects.projects[0] ?? (await this.api('POST', '/v3/projects', { project: { name: options.project, domain_id: 'default' } })).project;
    const roles = await this.api('GET', `/v3/roles?name=${encodeURIComponent(options.role)}`);
    const role = roles.roles[0] ?? (await this.api('POST', '/v3/roles', { role: { name: options.role } })).role;
    const { user } = await this.api('POST', '/v3/users', { user: { name, password, domain_id: 'default' } });
    await this.api('PUT', `/v3/projects/${project.id}/users/${user.id}/roles/${role.id}`);
    return { id: user.id, name, password, project: options.project };
  }

  async createApplicationCredential(user: KeystoneUser): Promise<{ id: string; secret: string }> {
    const body = { application_credential: { name: `bosh-${randomUUID().slice(0, 8)}` } };
    const { application_credential: credential } = await this.api('POST', `/v3/users/${user.id}/application_credentials`, body, await this.token(user));
    return { id: credential.id, secret: credential.secret };
  }

  async addService(type: string, name: string, url: string): Promise<void> {
    const { service } = await this.api('POST', '/v3/services', { service: { type, name } });
    for (const iface of ['public', 'internal', 'admin']) {
      await this.api('POST', '/v3/endpoints', { endpoint: { service_id: service.id, interface: iface, url, region_id: REGION } });
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.#renewal);
    await stopChild(this.#child, 10_000);
    if (process.env['KEEP_KEYSTONE_LAB'] === undefined) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

function writeConfig(dir: string, expiration: number): string {
  const keys = path.join(dir, 'fernet-keys');
  fs.mkdirSync(keys);
  const conf = `[DEFAULT]
log_file = ${dir}/keystone.log
use_stderr = false

[database]
connection = sqlite:///${dir}/keystone.sqlite

[identity]
# bcrypt's cheapest cost: Keystone serves one request at a time, and each token costs a hash.
password_hash_rounds = 4

[token]
provider = fernet
expiration = ${expiration}

[fernet_tokens]
key_repository = ${keys}

[fernet_receipts]
key_repository = ${keys}
`;
  const file = path.join(dir, 'keystone.conf');
  fs.writeFileSync(file, conf);
  return file;
}

function manage(conf: string, args: string[]): void {
  python(['-c', KEYSTONE_MANAGE, '--config-file', conf, ...args]);
}

function python(args: string[]): void {
  const r = spawnSync(PYTHON, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3 ${args.slice(0, 4).join(' ')} failed (${r.status}): ${r.stderr}`);
}
