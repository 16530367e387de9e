// A real OpenStack Ironic (Debian's python3-ironic, fake-hardware, sqlite) on 127.0.0.1 and a
// random port, for the integration and e2e tiers. docs/architecture.md#tests says
// what each tier uses it for.
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
}

export interface IronicLab {
  readonly url: string;
  readonly dir: string;
  readonly pid: number;
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
    return await startIn(dir, options);
  } catch (error) {
    // A lab that did not start leaves nothing behind either.
    if (process.env['KEEP_IRONIC_LAB'] === undefined) fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

async function startIn(dir: string, options: IronicLabOptions): Promise<IronicLab> {
  const auth = options.auth ?? { type: 'noauth' };
  if (auth.type === 'http_basic') writeHtpasswd(path.join(dir, 'htpasswd'), auth.username, auth.password);
  const service =
    auth.type === 'keystone' ? await auth.keystone.createUser(`ironic-${randomUUID().slice(0, 8)}`, { project: 'service', role: 'admin' }) : undefined;
  const write = (port: number) => writeConfig(dir, port, options, service);
  run(['-c', dbsync, '--config-file', write(await freePort()), 'create_schema']);
  // A port found free can be taken before Ironic binds it; Ironic then exits, and we try another.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const conf = write(port);
    const child = spawn(PYTHON, [LAUNCH, '--config-file', conf], {
      env: { ...process.env, IRONIC_LAB_PARENT: String(process.pid), PYTHONUNBUFFERED: '1' },
      stdio: ['ignore', fs.openSync(path.join(dir, 'stdout.log'), 'a'), fs.openSync(path.join(dir, 'stdout.log'), 'a')],
      detached: false,
    });
    const url = `http://127.0.0.1:${port}`;
    const base: Record<string, string> = { 'X-OpenStack-Ironic-API-Version': MICROVERSION, 'Content-Type': 'application/json' };
    if (auth.type === 'http_basic') base['Authorization'] = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
    // Ready when `GET /` answers; the conductor registers before the API socket opens.
    const ready = await waitReady(`${url}/`, child);
    if (!ready) {
      if (attempt < 3) continue;
      throw new Error(`Ironic did not start; see ${path.join(dir, 'ironic.log')} and stdout.log`);
    }
    const lab: IronicLab = {
      url,
      dir,
      pid: child.pid!,
      get headers() {
        return auth.type === 'keystone' ? { ...base, 'X-Auth-Token': auth.keystone.adminToken } : base;
      },
      stop: () => stop(child, dir),
    };
    try {
      if (auth.type === 'keystone') await auth.keystone.addService('baremetal', 'ironic', url);
      await checkSentinel(lab);
    } catch (error) {
      await lab.stop();
      throw error;
    }
    return lab;
  }
}

const dbsync = 'import sys; sys.argv[0]="ironic-dbsync"; from ironic.cmd.dbsync import main; sys.exit(main())';

function run(args: string[]): void {
  const r = spawnSync(PYTHON, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3 ${args.join(' ')} failed: ${r.stderr}`);
}

function writeConfig(dir: string, port: number, options: IronicLabOptions, service: KeystoneUser | undefined): string {
  const auth = options.auth ?? { type: 'noauth' };
  const conf = `[DEFAULT]
auth_strategy = ${auth.type}
${auth.type === 'http_basic' ? `http_basic_auth_user_file = ${dir}/htpasswd` : ''}
rpc_transport = none
host = ironic-lab
log_file = ${dir}/ironic.log
use_stderr = false
state_path = ${dir}/state
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
  const file = path.join(dir, 'ironic.conf');
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
  const created = await fetch(`${lab.url}/v1/nodes`, { method: 'POST', headers: lab.headers, body: JSON.stringify({ name, driver: 'fake-hardware' }) });
  if (created.status !== 201) throw new Error(`Ironic lab sentinel: creating node answered ${created.status}: ${await created.text()}`);
  const read = await fetch(`${lab.url}/v1/nodes/${name}`, { headers: lab.headers });
  if (read.status !== 200) throw new Error(`Ironic lab sentinel: node ${name} not found on ${lab.url}: another server shares the port`);
  await fetch(`${lab.url}/v1/nodes/${name}`, { method: 'DELETE', headers: lab.headers });
}

async function stop(child: ChildProcess, dir: string): Promise<void> {
  await stopChild(child, 10_000);
  if (process.env['KEEP_IRONIC_LAB'] === undefined) fs.rmSync(dir, { recursive: true, force: true });
}
