// A real WebDAV server (Debian's nginx with its dav module) on 127.0.0.1 and a random port, for the
// image-store tests and the stemcell bench. Everything lives in a fresh temp dir; the server dies
// with the process that started it (setpriv --pdeathsig, an exit handler, and a sweep of labs left
// by dead test processes).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './free-port.ts';
import { stopChild } from './stop-child.ts';

const NGINX = '/usr/sbin/nginx';
const SETPRIV = '/usr/bin/setpriv';
const PREFIX = 'webdav-lab-';

export interface WebDavLabOptions {
  /** Basic auth credentials; `false` serves without auth. Default: user `bosh`, a random password. */
  readonly auth?: { readonly username: string; readonly password: string } | false;
  /** Refuse PUT, DELETE and MKCOL with 403, as a read-only share does. */
  readonly readOnly?: boolean;
  /** Serve GET (and HEAD) without auth, as Ironic fetches images; auth stays on the other methods. */
  readonly anonymousRead?: boolean;
  /** nginx `client_max_body_size` (default 0: no limit). */
  readonly maxBodySize?: string;
  /** nginx `create_full_put_path` (default on); off, a PUT into a missing collection answers 409. */
  readonly createFullPutPath?: boolean;
  /** Where the lab's temp dir goes (default: the OS temp dir), e.g. a tmpfs for benchmarks. */
  readonly parentDir?: string;
}

export interface WebDavLab {
  /** `http://127.0.0.1:<port>`; objects of collection `c` are at `${url}/c/<name>`. */
  readonly url: string;
  /** The directory nginx serves: `${url}/c/x` is `${root}/c/x`. */
  readonly root: string;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly pid: number;
  /** Headers for direct requests in tests (the Authorization header when auth is on). */
  readonly headers: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

/** The nginx processes this process started and has not stopped; killed if it exits first. */
const running = new Set<ChildProcess>();
let exitHook = false;

export function webdavAvailable(): boolean {
  const r = spawnSync(NGINX, ['-V'], { encoding: 'utf8' });
  return r.status === 0 && r.stderr.includes('--with-http_dav_module') && fs.existsSync(SETPRIV);
}

export async function startWebDav(options: WebDavLabOptions = {}): Promise<WebDavLab> {
  if (!webdavAvailable()) throw new Error(`${NGINX} with the dav module (Debian nginx-light) and ${SETPRIV} are needed: run scripts/setup.sh`);
  const parent = options.parentDir ?? os.tmpdir();
  sweepLeftovers(parent);
  const dir = fs.mkdtempSync(path.join(parent, PREFIX));
  const root = path.join(dir, 'data');
  for (const d of [root, path.join(dir, 'logs'), path.join(dir, 'tmp')]) fs.mkdirSync(d);
  fs.writeFileSync(path.join(dir, 'owner'), String(process.pid));
  const auth = options.auth === false ? undefined : (options.auth ?? { username: 'bosh', password: randomUUID() });
  // nginx takes {PLAIN} passwords in auth_basic_user_file.
  if (auth !== undefined) fs.writeFileSync(path.join(dir, 'htpasswd'), `${auth.username}:{PLAIN}${auth.password}\n`);
  const headers: Record<string, string> =
    auth === undefined ? {} : { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` };

  // A port found free can be taken before nginx binds it; nginx then exits, and we try another.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const conf = writeConfig(dir, port, auth !== undefined, options);
    const log = fs.openSync(path.join(dir, 'logs', 'stdout.log'), 'a');
    // --pdeathsig: the kernel sends nginx SIGTERM when this process dies, however it dies.
    const child = spawn(SETPRIV, ['--pdeathsig', 'TERM', NGINX, '-p', dir, '-c', conf, '-e', path.join(dir, 'logs', 'error.log')], {
      stdio: ['ignore', log, log],
    });
    fs.closeSync(log);
    running.add(child);
    child.once('exit', () => running.delete(child));
    if (!exitHook) {
      exitHook = true;
      process.once('exit', () => {
        for (const c of running) c.kill('SIGKILL');
      });
    }
    const url = `http://127.0.0.1:${port}`;
    if (await waitReady(url, child)) {
      await checkSentinel(url, root, headers);
      return { url, root, pid: child.pid!, headers, username: auth?.username, password: auth?.password, stop: () => stop(child, dir) };
    }
    if (attempt === 5) throw new Error(`nginx did not start on 127.0.0.1; see ${path.join(dir, 'logs', 'error.log')}`);
  }
}

function writeConfig(dir: string, port: number, auth: boolean, options: WebDavLabOptions): string {
  const tmp = path.join(dir, 'tmp');
  // master_process off: one process, no workers to switch to another user (root's temp dir stays
  // writable) and one PID to stop.
  const conf = `daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log info;
events { worker_connections 256; }
http {
  access_log ${dir}/logs/access.log;
  client_body_temp_path ${tmp};
  proxy_temp_path ${tmp};
  fastcgi_temp_path ${tmp};
  uwsgi_temp_path ${tmp};
  scgi_temp_path ${tmp};
  server {
    listen 127.0.0.1:${port};
    root ${dir}/data;
    location / {
      dav_methods PUT DELETE MKCOL;
      create_full_put_path ${options.createFullPutPath === false ? 'off' : 'on'};
      dav_access user:rw group:r all:r;
      client_max_body_size ${options.maxBodySize ?? '0'};
      ${locationAccess(dir, auth, options)}
    }
  }
}
`;
  const file = path.join(dir, 'nginx.conf');
  fs.writeFileSync(file, conf);
  return file;
}

/** Who may do what: one `limit_except` at most (nginx takes one per location). */
function locationAccess(dir: string, auth: boolean, options: WebDavLabOptions): string {
  const basic = auth ? `auth_basic webdav-lab; auth_basic_user_file ${dir}/htpasswd;` : '';
  if (options.readOnly === true) return `limit_except GET { deny all; }\n      ${basic}`;
  if (options.anonymousRead === true) return basic === '' ? '' : `limit_except GET { ${basic} }`;
  return basic;
}

/** Ready when `GET /` answers at all (401 and 403 included); false when nginx exited. */
async function waitReady(url: string, child: ChildProcess): Promise<boolean> {
  let exited = child.exitCode !== null;
  child.once('exit', () => (exited = true));
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && !exited) {
    try {
      await fetch(`${url}/`, { signal: AbortSignal.timeout(1_000) });
      return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (!exited) child.kill('SIGKILL');
  return false;
}

/** Proves the server answering is ours: a file written into our root read back over HTTP. */
async function checkSentinel(url: string, root: string, headers: Record<string, string>): Promise<void> {
  const name = `.sentinel-${randomUUID()}`;
  fs.writeFileSync(path.join(root, name), name);
  try {
    const response = await fetch(`${url}/${name}`, { headers });
    const text = await response.text();
    if (response.status !== 200 || text !== name)
      throw new Error(`WebDAV lab sentinel: ${url}/${name} answered ${response.status}: another server shares the port`);
  } finally {
    fs.rmSync(path.join(root, name), { force: true });
  }
}

async function stop(child: ChildProcess, dir: string): Promise<void> {
  await stopChild(child, 5_000);
  if (process.env['KEEP_WEBDAV_LAB'] === undefined) fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * Labs whose test process died without stopping them: their nginx (only if its command line names
 * that lab's config, so it is one we started) is killed and the dir removed.
 */
function sweepLeftovers(parent: string): void {
  for (const entry of fs.readdirSync(parent)) {
    if (!entry.startsWith(PREFIX)) continue;
    const dir = path.join(parent, entry);
    const owner = readPid(path.join(dir, 'owner'));
    if (owner === undefined || alive(owner)) continue;
    const pid = readPid(path.join(dir, 'nginx.pid'));
    if (pid !== undefined && commandLine(pid).includes(path.join(dir, 'nginx.conf'))) process.kill(pid, 'SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function commandLine(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
