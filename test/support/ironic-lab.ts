// A real OpenStack Ironic (Debian's python3-ironic, fake-hardware, sqlite) on 127.0.0.1 and a
// random port, for the integration and e2e tiers: one process (API and conductor) by default, or
// an API and several conductors in conductor groups, each its own process, talking JSON-RPC over
// loopback and sharing one database (sqlite in WAL mode). docs/architecture.md#tests says what
// each tier uses it for.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './free-port.ts';
import { REGION, type KeystoneLab, type KeystoneUser } from './keystone-lab.ts';
import { stopChild } from './stop-child.ts';
import { waitReady } from './wait-ready.ts';

const PYTHON = '/usr/bin/python3'; // Debian's: the pyenv python first on PATH cannot see dist-packages
const LAUNCH = path.join(import.meta.dirname, 'ironic', 'launch.py');
export const MICROVERSION = '1.82';

export interface IronicLabOptions {
  /**
   * `http_basic` adds an htpasswd user; `keystone` validates tokens with that Keystone
   * (keystonemiddleware, as a service user of its own) and registers Ironic in its catalog as
   * `baremetal`.
   */
  readonly auth?:
    | { readonly type: 'noauth' }
    | { readonly type: 'http_basic'; readonly username: string; readonly password: string }
    | { readonly type: 'keystone'; readonly keystone: KeystoneLab };
  readonly automatedClean?: boolean;
  /** Seconds the fake deploy takes (makes deploying → active observable). */
  readonly deployDelay?: number;
  readonly powerDelay?: number;
  /**
   * Runs Ironic split: an API process and one conductor process per entry, each with its `host`
   * name and `[conductor]conductor_group`, JSON-RPC on 127.0.0.1 and a port of its own. Nodes
   * must then be created in one of these groups.
   */
  readonly conductors?: readonly LabConductor[];
}

export interface LabConductor {
  /** `[DEFAULT]host`: what `node.conductor` and `GET /v1/conductors` name. */
  readonly host: string;
  readonly group: string;
}

/** The split lab the e2e tests use: two conductors, each in a conductor group of its own. */
export const TWO_CONDUCTOR_GROUPS: readonly LabConductor[] = [
  { host: 'conductor-a', group: 'rack-a' },
  { host: 'conductor-b', group: 'rack-b' },
];

/** A conductor process of a split lab. */
export interface RunningConductor extends LabConductor {
  readonly pid: number;
  /** Its JSON-RPC port on 127.0.0.1. */
  readonly rpcPort: number;
  /** Its log file. */
  readonly log: string;
}

export interface IronicLab {
  readonly url: string;
  readonly dir: string;
  /** The process that serves the API (the only one, unless split). */
  readonly pid: number;
  /** The conductor processes of a split lab; empty for the single process. */
  readonly conductors: readonly RunningConductor[];
  /** Headers for direct API calls in tests (microversion, auth: with Keystone, the lab's current admin token). */
  readonly headers: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

export function ironicAvailable(): boolean {
  return spawnSync(PYTHON, ['-c', 'import ironic.cmd.singleprocess'], { stdio: 'ignore' }).status === 0;
}

export async function startIronic(options: IronicLabOptions = {}): Promise<IronicLab> {
  if (!ironicAvailable()) throw new Error('Debian python3-ironic is not installed: run scripts/setup.sh (npm test does)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ironic-lab-'));
  try {
    const auth = options.auth ?? { type: 'noauth' };
    if (auth.type === 'http_basic') writeHtpasswd(path.join(dir, 'htpasswd'), auth.username, auth.password);
    const service =
      auth.type === 'keystone' ? await auth.keystone.createUser(`ironic-${randomUUID().slice(0, 8)}`, { project: 'service', role: 'admin' }) : undefined;
    const settings = { dir, options, service };
    run(['-c', dbsync, '--config-file', writeConfig(settings, { role: 'all', port: await freePort() }), 'create_schema']);
    // Write-ahead logging: the split lab's processes read and write the one database at once.
    if (options.conductors !== undefined) run(['-c', WAL, path.join(dir, 'ironic.sqlite')]);
    // A port found free can be taken before Ironic binds it; Ironic then exits, and we try another.
    for (let attempt = 1; ; attempt++) {
      const started = await launch(settings);
      if (started !== undefined) {
        try {
          if (auth.type === 'keystone') await auth.keystone.addService('baremetal', 'ironic', started.url);
          await checkSentinel(started);
          return started;
        } catch (error) {
          await started.stop();
          throw error;
        }
      }
      if (attempt === 3) throw new Error(`Ironic did not start; see the logs in ${dir}`);
    }
  } catch (error) {
    if (process.env['KEEP_IRONIC_LAB'] === undefined) fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

interface Settings {
  readonly dir: string;
  readonly options: IronicLabOptions;
  readonly service: KeystoneUser | undefined;
}

/** What one process of the lab is: the single process, the API of a split lab, or one of its conductors. */
type Role =
  | { readonly role: 'all'; readonly port: number }
  | { readonly role: 'api'; readonly port: number }
  | { readonly role: 'conductor'; readonly port: number; readonly conductor: LabConductor; readonly rpcPort: number };

/** Starts the lab's processes on fresh ports; undefined when one could not bind (or start): they are stopped, try again. */
async function launch(settings: Settings): Promise<IronicLab | undefined> {
  const { dir, options } = settings;
  const auth = options.auth ?? { type: 'noauth' };
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const conductors: { role: Extract<Role, { role: 'conductor' }>; child: ChildProcess }[] = [];
  for (const conductor of options.conductors ?? []) {
    const role = { role: 'conductor' as const, port, conductor, rpcPort: await freePort() };
    conductors.push({ role, child: spawnIronic(settings, role, {}) });
  }
  const routes = Object.fromEntries(conductors.map(({ role }) => [role.conductor.host, role.rpcPort]));
  const api = spawnIronic(settings, { role: options.conductors === undefined ? 'all' : 'api', port }, routes);
  const children = [api, ...conductors.map((c) => c.child)];
  const stopAll = async () => {
    await Promise.all(children.map((child) => stopChild(child, 10_000)));
  };
  const base: Record<string, string> = { 'X-OpenStack-Ironic-API-Version': MICROVERSION, 'Content-Type': 'application/json' };
  if (auth.type === 'http_basic') base['Authorization'] = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
  const lab: IronicLab = {
    url,
    dir,
    pid: api.pid!,
    conductors: conductors.map(({ role, child }) => ({
      ...role.conductor,
      pid: child.pid!,
      rpcPort: role.rpcPort,
      log: path.join(dir, `${role.conductor.host}.log`),
    })),
    get headers() {
      return auth.type === 'keystone' ? { ...base, 'X-Auth-Token': auth.keystone.adminToken } : base;
    },
    stop: async () => {
      await stopAll();
      if (process.env['KEEP_IRONIC_LAB'] === undefined) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  // Ready when `GET /` answers (the single process registers its conductor before the API socket
  // opens), and, split, when every conductor has registered and heartbeats.
  const exited = () => children.some((child) => child.exitCode !== null || child.signalCode !== null);
  if ((await waitReady(`${url}/`, api)) && (conductors.length === 0 || (await conductorsAlive(lab, exited)))) return lab;
  await stopAll();
  return undefined;
}

/** The process's files are named after it: `<name>.conf`, `<name>.log` (Ironic's log), `<name>.stdout.log`. */
function processName(role: Role): string {
  return role.role === 'conductor' ? role.conductor.host : role.role === 'api' ? 'ironic-api' : 'ironic';
}

function spawnIronic(settings: Settings, role: Role, routes: Readonly<Record<string, number>>): ChildProcess {
  const name = processName(role);
  const out = fs.openSync(path.join(settings.dir, `${name}.stdout.log`), 'a');
  const child = spawn(PYTHON, [LAUNCH, role.role, '--config-file', writeConfig(settings, role)], {
    env: { ...process.env, IRONIC_LAB_PARENT: String(process.pid), IRONIC_LAB_CONDUCTORS: JSON.stringify(routes), PYTHONUNBUFFERED: '1' },
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  return child;
}

/** Waits until `GET /v1/conductors` lists every conductor of the lab alive, in its group; false when one exits first. */
async function conductorsAlive(lab: IronicLab, exited: () => boolean): Promise<boolean> {
  const deadline = Date.now() + 60_000;
  const wanted = lab.conductors.map((c) => `${c.host}/${c.group}`).sort();
  while (Date.now() < deadline && !exited()) {
    const response = await fetch(`${lab.url}/v1/conductors?fields=hostname,conductor_group,alive`, { headers: lab.headers }).catch(() => undefined);
    if (response?.ok) {
      const { conductors } = (await response.json()) as { conductors: { hostname: string; conductor_group: string; alive: boolean }[] };
      const alive = conductors.filter((c) => c.alive).map((c) => `${c.hostname}/${c.conductor_group}`);
      if (wanted.every((w) => alive.includes(w))) return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

const WAL = 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute("PRAGMA journal_mode=WAL")';
const dbsync = 'import sys; sys.argv[0]="ironic-dbsync"; from ironic.cmd.dbsync import main; sys.exit(main())';

function run(args: string[]): void {
  const r = spawnSync(PYTHON, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3 ${args.join(' ')} failed: ${r.stderr}`);
}

function writeConfig({ dir, options, service }: Settings, role: Role): string {
  const auth = options.auth ?? { type: 'noauth' };
  const { port } = role;
  const name = processName(role);
  const conf = `[DEFAULT]
auth_strategy = ${auth.type}
${auth.type === 'http_basic' ? `http_basic_auth_user_file = ${dir}/htpasswd` : ''}
rpc_transport = ${role.role === 'all' ? 'none' : 'json-rpc'}
host = ${role.role === 'conductor' ? role.conductor.host : 'ironic-lab'}
log_file = ${dir}/${name}.log
use_stderr = false
state_path = ${dir}/state-${name}
minimum_memory_warning_only = true
enabled_hardware_types = fake-hardware
enabled_boot_interfaces = fake
enabled_deploy_interfaces = fake,direct
# 'direct' is there to fail: this lab has no agent, so a node given it ends in 'deploy failed'.
enabled_management_interfaces = fake
enabled_power_interfaces = fake
enabled_bios_interfaces = fake,no-bios
enabled_console_interfaces = fake,no-console
enabled_inspect_interfaces = fake,no-inspect
enabled_raid_interfaces = fake,no-raid
enabled_rescue_interfaces = fake,no-rescue
enabled_vendor_interfaces = fake,no-vendor
enabled_storage_interfaces = noop,fake
enabled_network_interfaces = noop
default_deploy_interface = fake
default_network_interface = noop

[api]
host_ip = 127.0.0.1
port = ${port}
api_workers = 1

[database]
connection = sqlite:///${dir}/ironic.sqlite

[conductor]
automated_clean = ${options.automatedClean ?? true}
${role.role === 'conductor' ? `conductor_group = ${role.conductor.group}` : ''}

[json_rpc]
# The lab's processes trust each other on loopback.
auth_strategy = noauth
host_ip = 127.0.0.1
${role.role === 'conductor' ? `port = ${role.rpcPort}` : ''}

[dhcp]
dhcp_provider = none

[service_catalog]
# The URL a deploy agent would call back to: with it the 'direct' deploy interface gets as far as
# 'wait call-back' (and stays there, as the lab has no agent) instead of failing in its preparation.
endpoint_override = http://127.0.0.1:${port}

[nova]
send_power_notifications = false

[fake]
deploy_delay = ${options.deployDelay ?? 0}
power_delay = ${options.powerDelay ?? 0}
${auth.type === 'keystone' ? keystoneAuthtoken(auth.keystone, service!) : ''}`;
  const file = path.join(dir, `${name}.conf`);
  fs.writeFileSync(file, conf);
  return file;
}

/** keystonemiddleware: validates each request's token with Keystone, as the service user. */
function keystoneAuthtoken(keystone: KeystoneLab, service: KeystoneUser): string {
  return `
[keystone_authtoken]
www_authenticate_uri = ${keystone.authUrl}
auth_url = ${keystone.authUrl}
auth_type = password
username = ${service.name}
password = ${service.password}
user_domain_id = default
project_name = ${service.project}
project_domain_id = default
region_name = ${REGION}
interface = public
`;
}

function writeHtpasswd(file: string, username: string, password: string): void {
  // Ironic accepts only bcrypt hashes; python3-bcrypt comes with python3-ironic.
  const r = spawnSync(PYTHON, ['-c', 'import bcrypt,sys; print(bcrypt.hashpw(sys.argv[1].encode(), bcrypt.gensalt(4)).decode())', password], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`hashing the lab password failed: ${r.stderr}`);
  fs.writeFileSync(file, `${username}:${r.stdout.trim()}\n`);
}

/** Proves the server answering is ours: a node with a random name created and read back. */
async function checkSentinel(lab: IronicLab): Promise<void> {
  const name = `sentinel-${randomUUID()}`;
  const group = lab.conductors[0]?.group;
  const body = { name, driver: 'fake-hardware', ...(group === undefined ? {} : { conductor_group: group }) };
  const created = await fetch(`${lab.url}/v1/nodes`, { method: 'POST', headers: lab.headers, body: JSON.stringify(body) });
  if (created.status !== 201) throw new Error(`Ironic lab sentinel: creating node answered ${created.status}: ${await created.text()}`);
  const read = await fetch(`${lab.url}/v1/nodes/${name}`, { headers: lab.headers });
  if (read.status !== 200) throw new Error(`Ironic lab sentinel: node ${name} not found on ${lab.url}: another server shares the port`);
  await fetch(`${lab.url}/v1/nodes/${name}`, { method: 'DELETE', headers: lab.headers });
}
