// The BOSH release as the director and bosh create-env get it: `npm run release` builds the
// tarball; its release.MF names every job and package with the SHA-1 of its archive and the
// fingerprint bosh-cli would compute; the job renders (Ruby ERB, test/release/render-job.rb) from
// a bosh-deployment manifest with examples/bosh-deployment and with examples/create-env; the
// rendered config loads; and the rendered bin/cpi, with the package installed by its own packaging
// script, answers in both layouts, each in a mount namespace of its own: the director's
// /var/vcap, and create-env's installation directory with BOSH_*_DIR set and no /var/vcap at all.
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '@hybrid-cpi/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { storedConfigDrive } from '../../packages/backend-ironic/test/integration/helpers.js';
import { BUILTIN_BACKENDS } from '../../packages/cli/src/builtins.js';
import { startIronic, type IronicLab } from '../support/ironic-lab.js';
import { enrollFakeNode, removeNodes, type FakeNode } from '../support/ironic-nodes.js';
import { boshFingerprint, fileSha1 } from './helpers/bosh-fingerprint.js';
import { applyOps, instanceGroupProperties, readOps } from './helpers/ops-file.js';
import { unpack, type TarEntry } from './helpers/unpack.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const EXECUTABLE = path.join(ROOT, 'packages/cli/dist/hybrid-cpi');
const EXAMPLES = path.join(ROOT, 'examples/bosh-deployment');
/** What survives the director's `unsetenv_others: true` (docs/architecture.md#the-protocol). */
const directorEnv = (tmp: string) => ({ PATH: '/usr/sbin:/usr/bin:/sbin:/bin', TMPDIR: tmp, HOME: tmp });

const VARIABLES = {
  hybrid_cpi_release_version: '0.1.0',
  hybrid_cpi_release_url: 'file:///tmp/hybrid-cpi-release-0.1.0.tgz',
  // The Ironic lab's, once it runs.
  ironic_url: 'http://127.0.0.1:9',
  ironic_username: 'bosh',
  ironic_password: 'ironic-secret',
  ironic_image_store_url: 'http://127.0.0.1:9/images',
  ironic_image_store_username: 'bosh',
  ironic_image_store_password: 'image-store-secret',
  ironic_ca: '-----BEGIN CERTIFICATE-----\nMIIBironicCA\n-----END CERTIFICATE-----\n',
};

const CREATE_ENV_VARIABLES = {
  openstack_stemcell_url: 'file:///tmp/bosh-stemcell-openstack-kvm.tgz',
  openstack_stemcell_sha1: '0'.repeat(40),
  director_mac: '52:54:00:0a:00:06',
  director_persistent_disk: '/dev/sdc',
};
// Read when a call reaches the Ironic backend (plain http here: the files must exist, not verify).
const CLIENT_CERT = '-----BEGIN CERTIFICATE-----\nMIIBironicClientCert\n-----END CERTIFICATE-----\n';
const CLIENT_KEY = '-----BEGIN PRIVATE KEY-----\nMIIEironicClientKeySecret0123456789\n-----END PRIVATE KEY-----\n';

interface ManifestEntry {
  name: string;
  version: string;
  fingerprint: string;
  sha1: string;
}
interface ReleaseManifest {
  name: string;
  version: string;
  commit_hash: string;
  uncommitted_changes: boolean;
  jobs: (ManifestEntry & { packages: string[] })[];
  packages: (ManifestEntry & { dependencies: string[] })[];
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hybrid-cpi-release-test-'));
const tarball = path.join(tmp, 'hybrid-cpi-release.tgz');
const unpacked = path.join(tmp, 'release');
const jobDir = path.join(tmp, 'job');
const packageDir = path.join(tmp, 'package');
let buildMs = 0;
let buildLog = '';
let outer: TarEntry[] = [];
let jobEntries: TarEntry[] = [];
let packageEntries: TarEntry[] = [];
let manifest: ReleaseManifest;

beforeAll(async () => {
  const started = performance.now();
  const build = spawnSync(process.execPath, [path.join(ROOT, 'scripts/release.mjs'), '--out', tarball], { cwd: ROOT, encoding: 'utf8' });
  buildMs = performance.now() - started;
  buildLog = build.stderr;
  if (build.status !== 0) throw new Error(`scripts/release.mjs failed (${build.status}):\n${build.stderr}`);
  outer = await unpack(tarball, unpacked);
  manifest = YAML.parse(fs.readFileSync(path.join(unpacked, 'release.MF'), 'utf8')) as ReleaseManifest;
  jobEntries = await unpack(path.join(unpacked, 'jobs/hybrid_cpi.tgz'), jobDir);
  packageEntries = await unpack(path.join(unpacked, 'packages/hybrid_cpi.tgz'), packageDir);
});

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Renders the job from its archive, as the director does, with these instance-group properties. */
function renderJob(properties: object, out: string): void {
  const propertiesFile = path.join(tmp, `properties-${path.basename(out)}.json`);
  fs.writeFileSync(propertiesFile, JSON.stringify(properties));
  const ruby = spawnSync('ruby', [path.join(import.meta.dirname, 'render-job.rb'), jobDir, propertiesFile, out], { encoding: 'utf8' });
  if (ruby.error) throw new Error(`ruby is needed to render the job templates (scripts/setup.sh installs it): ${ruby.error.message}`);
  if (ruby.status !== 0) throw new Error(`rendering the job failed:\n${ruby.stderr}`);
}

const files = (entries: TarEntry[]) =>
  entries
    .filter((e) => e.type === 'file')
    .map((e) => e.name)
    .sort();

describe('the release tarball', () => {
  it('is built by npm run release in CI time', () => {
    // The ~130 MB executable is gzipped once (level 6) and framed once more (level 1).
    const rebuilt = buildLog.includes('build: done');
    console.info(
      `release tarball: ${(buildMs / 1000).toFixed(1)} s${rebuilt ? ' (with a build of the executable)' : ''}, ` +
        `${(fs.statSync(tarball).size / 1e6).toFixed(1)} MB`,
    );
    if (!rebuilt) expect(buildMs).toBeLessThan(60_000);
  });

  it('holds release.MF, one job and one package, nothing else', () => {
    expect(files(outer)).toEqual(['./jobs/hybrid_cpi.tgz', './packages/hybrid_cpi.tgz', './release.MF']);
    expect(manifest).toMatchObject({ name: 'hybrid-cpi', version: expect.stringMatching(/^\d+\.\d+\.\d+/), uncommitted_changes: expect.any(Boolean) });
    expect(manifest.commit_hash).toMatch(/^[0-9a-f]{7,40}$|^non-git$/);
    expect(manifest.jobs.map((j) => [j.name, j.packages])).toEqual([['hybrid_cpi', ['hybrid_cpi']]]);
    expect(manifest.packages.map((p) => [p.name, p.dependencies])).toEqual([['hybrid_cpi', []]]);
  });

  it('gives the SHA-1 of every job and package archive', () => {
    for (const job of manifest.jobs) expect(fileSha1(path.join(unpacked, 'jobs', `${job.name}.tgz`)), job.name).toBe(job.sha1);
    for (const pkg of manifest.packages) expect(fileSha1(path.join(unpacked, 'packages', `${pkg.name}.tgz`)), pkg.name).toBe(pkg.sha1);
  });

  it('gives the fingerprints bosh-cli computes, for the archives and for the source they come from', () => {
    const [job] = manifest.jobs;
    const spec = YAML.parse(fs.readFileSync(path.join(jobDir, 'job.MF'), 'utf8')) as { templates: Record<string, string> };
    const templates = Object.keys(spec.templates).map((t) => `templates/${t}`);
    // bosh-cli fingerprints the staged archive the same way as the source: both must agree.
    const fromArchive = boshFingerprint(['job.MF', 'monit', ...templates].map((p) => ({ path: p, file: path.join(jobDir, p) })));
    const source = path.join(ROOT, 'release/jobs/hybrid_cpi');
    const fromSource = boshFingerprint([
      { path: 'job.MF', file: path.join(source, 'spec') },
      { path: 'monit', file: path.join(source, 'monit') },
      ...templates.map((p) => ({ path: p, file: path.join(source, p) })),
    ]);
    expect(job!.fingerprint).toBe(fromArchive);
    expect(job!.fingerprint).toBe(fromSource);
    expect(job!.version).toBe(job!.fingerprint);

    const [pkg] = manifest.packages;
    const packaged = [
      { path: 'packaging', file: path.join(packageDir, 'packaging'), excludeMode: true },
      { path: 'hybrid_cpi/hybrid-cpi', file: path.join(packageDir, 'hybrid_cpi/hybrid-cpi') },
    ];
    expect(pkg!.fingerprint).toBe(boshFingerprint(packaged, pkg!.dependencies));
    expect(pkg!.fingerprint).toBe(
      boshFingerprint(
        [
          { path: 'packaging', file: path.join(ROOT, 'release/packages/hybrid_cpi/packaging'), excludeMode: true },
          { path: 'hybrid_cpi/hybrid-cpi', file: EXECUTABLE },
        ],
        pkg!.dependencies,
      ),
    );
    expect(pkg!.version).toBe(pkg!.fingerprint);
  });

  it('packs the job as the director reads it, and the executable byte for byte', () => {
    expect(files(jobEntries)).toEqual([
      './job.MF',
      './monit',
      './templates/ca_certs.pem.erb',
      './templates/cpi.erb',
      './templates/cpi.json.erb',
      './templates/ironic_client_cert.pem.erb',
      './templates/ironic_client_key.pem.erb',
    ]);
    expect(fs.readFileSync(path.join(jobDir, 'job.MF'), 'utf8')).toBe(fs.readFileSync(path.join(ROOT, 'release/jobs/hybrid_cpi/spec'), 'utf8'));
    expect(files(packageEntries)).toEqual(['./hybrid_cpi/hybrid-cpi', './packaging']);
    expect(packageEntries.find((e) => e.name === './hybrid_cpi/hybrid-cpi')!.mode & 0o777).toBe(0o755);
    expect(fileSha1(path.join(packageDir, 'hybrid_cpi/hybrid-cpi'))).toBe(fileSha1(EXECUTABLE));
  });
});

/** bosh-deployment's bosh.yml (test/release/fixtures) with these ops files of `dir` applied. */
function manifestWith(dir: string, files: readonly string[], variables: Record<string, string>): Record<string, unknown> {
  const manifest = YAML.parse(fs.readFileSync(path.join(import.meta.dirname, 'fixtures/bosh.yml'), 'utf8')) as Record<string, unknown>;
  for (const file of files) applyOps(manifest, readOps(path.join(dir, file), variables));
  return manifest;
}

/** Installs the package with its own packaging script, as the director's agent and create-env do. */
function installPackage(target: string): void {
  const packaging = spawnSync('bash', ['packaging'], {
    cwd: packageDir,
    env: { ...directorEnv(tmp), BOSH_INSTALL_TARGET: target, BOSH_COMPILE_TARGET: packageDir },
    encoding: 'utf8',
  });
  if (packaging.status !== 0) throw new Error(`the packaging script failed:\n${packaging.stderr}`);
}

/** Copies a rendered job to `target`, bin/cpi executable as both callers require. */
function installJob(rendered: string, target: string): void {
  fs.mkdirSync(target, { recursive: true });
  fs.cpSync(rendered, target, { recursive: true });
  fs.chmodSync(path.join(target, 'bin/cpi'), 0o755);
}

/**
 * One call inside a mount namespace of its own, with a tmpfs over /var (so that /var/vcap can
 * exist, or surely not exist, without touching the host): `mounts` binds test directories there
 * first. Everything ends with the process; the host's /var is never written.
 */
function callInNamespace(
  command: string,
  request: object,
  env: Record<string, string>,
  mounts: Record<string, string> = {},
): Promise<{ stdout: string; stderr: string; code: number | null }> {
  if (process.getuid?.() !== 0) throw new Error('running bin/cpi under a private /var needs root for unshare --mount (CI runs as root)');
  if (tmp.startsWith('/var/')) throw new Error(`the test's directory ${tmp} is under /var, which the tmpfs would hide`);
  const binds = Object.entries(mounts)
    .map(([at, from]) => `mkdir -p '${at}' && mount --bind '${from}' '${at}' && `)
    .join('');
  const script = `mount -t tmpfs -o mode=0755 tmpfs /var && ${binds}exec "$1"`;
  return new Promise((resolve, reject) => {
    const child = spawn('unshare', ['--mount', '--propagation', 'private', '--', '/bin/sh', '-c', script, 'sh', command], {
      env,
      cwd: tmp,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout, stderr, code }));
    child.stdin.end(JSON.stringify(request));
  });
}

/** The response of a call that must succeed, with no secret on either stream. */
async function expectOk(run: Promise<{ stdout: string; stderr: string; code: number | null }>): Promise<any> {
  const { stdout, stderr, code } = await run;
  expect(code, stderr).toBe(0);
  const response = JSON.parse(stdout);
  expect(response.error, stderr).toBeNull();
  expect(response.log).toMatch(/\n$/);
  for (const secret of SECRETS) expect(stdout + stderr).not.toContain(secret);
  return response.result;
}

const SECRETS = [VARIABLES.ironic_password, VARIABLES.ironic_image_store_password, 'blobstore-agent-secret', 'mbus-bootstrap-secret', CLIENT_KEY];

// One real Ironic for both layouts (http_basic, as the example ops files configure it).
let ironic: IronicLab;
beforeAll(async () => {
  ironic = await startIronic({ auth: { type: 'http_basic', username: VARIABLES.ironic_username, password: VARIABLES.ironic_password } });
  VARIABLES.ironic_url = ironic.url;
});
afterAll(async () => ironic?.stop());

describe("the hybrid_cpi job as the director's CPI, with bosh-deployment and examples/bosh-deployment", () => {
  const rendered = path.join(tmp, 'rendered');
  let config: Record<string, any>;

  beforeAll(() => {
    const manifest = manifestWith(EXAMPLES, ['hybrid-cpi.yml', 'hybrid-cpi-ironic-ca.yml'], VARIABLES);
    renderJob(instanceGroupProperties(manifest), rendered);
    config = JSON.parse(fs.readFileSync(path.join(rendered, 'config/cpi.json'), 'utf8'));
  });

  it('makes the mbus URL from nats.* when agent.mbus is not set, and leaves out a blobstore it cannot address', () => {
    const out = path.join(tmp, 'rendered-nats');
    renderJob(
      {
        nats: { address: '10.0.0.7', password: 'p@ss/word' },
        hybrid_cpi: { backends: { vms: { type: 'delegate', command: ['/bin/true'], stemcell_formats: ['raw'] } } },
      },
      out,
    );
    const agent = JSON.parse(fs.readFileSync(path.join(out, 'config/cpi.json'), 'utf8')).agent;
    // Defaults from the job spec: user nats, port 4222; the password escaped for the URL.
    expect(agent).toEqual({ mbus: 'nats://nats:p%40ss%2Fword@10.0.0.7:4222', ntp: [] });
  });

  it('refuses to render without backends', () => {
    expect(() => renderJob({}, path.join(tmp, 'rendered-empty'))).toThrow(/Can't find property 'hybrid_cpi.backends'/);
  });

  it('adds the release and the job, and makes hybrid_cpi the director CPI', () => {
    const ops = readOps(path.join(EXAMPLES, 'hybrid-cpi.yml'), VARIABLES);
    expect(ops).toContainEqual({
      type: 'replace',
      path: '/releases/name=hybrid-cpi?',
      value: { name: 'hybrid-cpi', version: '0.1.0', url: VARIABLES.hybrid_cpi_release_url },
    });
    expect(ops).toContainEqual({
      type: 'replace',
      path: '/instance_groups/name=bosh/jobs/name=hybrid_cpi?',
      value: { name: 'hybrid_cpi', release: 'hybrid-cpi' },
    });
    expect(ops).toContainEqual({ type: 'replace', path: '/instance_groups/name=bosh/properties/director/cpi_job?', value: 'hybrid_cpi' });
  });

  it("renders the config with the director's agent settings, and the job's own files by their names", () => {
    expect(config).toEqual({
      log_level: 'info',
      default_backend: 'vms',
      legacy_backend: 'vms',
      backends: {
        vms: { type: 'delegate', command: ['/var/vcap/jobs/vsphere_cpi/bin/cpi'], stemcell_formats: ['vsphere-ova', 'vsphere-ovf'] },
        metal: {
          type: 'ironic',
          ironic: { url: ironic.url, auth: { type: 'http_basic', username: 'bosh', password: VARIABLES.ironic_password }, ca_file: 'ca_certs.pem' },
          image_store: {
            type: 'webdav',
            url: VARIABLES.ironic_image_store_url,
            username: 'bosh',
            password: VARIABLES.ironic_image_store_password,
            ca_file: 'ca_certs.pem',
          },
        },
      },
      agent: {
        mbus: 'nats://10.0.0.6:4222',
        ntp: [],
        // TLS, as bosh-deployment's blobstore: https and its CA.
        blobstore: {
          provider: 'dav',
          options: {
            endpoint: 'https://10.0.0.6:25250',
            user: 'agent',
            password: 'blobstore-agent-secret',
            tls: { cert: { ca: '-----BEGIN CERTIFICATE-----\nMIIBblobstoreCA\n-----END CERTIFICATE-----\n' } },
          },
        },
      },
    });
    expect(fs.readFileSync(path.join(rendered, 'config/ca_certs.pem'), 'utf8').trim()).toBe(VARIABLES.ironic_ca.trim());
  });

  it("renders a config the CPI loads, with the job's files found next to it", async () => {
    const loaded = await loadConfig(path.join(rendered, 'config/cpi.json'), BUILTIN_BACKENDS);
    expect([...loaded.backends.keys()].sort()).toEqual(['metal', 'vms']);
    expect(loaded.defaultBackend).toBe('vms');
    expect(loaded.legacyBackend).toBe('vms');
    expect((loaded.backends.get('metal' as never)!.config as unknown as { ironic: { ca_file: string } }).ironic.ca_file).toBe(
      path.join(rendered, 'config/ca_certs.pem'),
    );
  });

  it("renders bin/cpi with the directories of both callers: the director's by default, create-env's from its environment", () => {
    const script = fs.readFileSync(path.join(rendered, 'bin/cpi'), 'utf8');
    expect(script.startsWith('#!/bin/bash\n')).toBe(true);
    const lines = script.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
    expect(lines).toEqual([
      'BOSH_PACKAGES_DIR=${BOSH_PACKAGES_DIR:-/var/vcap/packages}',
      'BOSH_JOBS_DIR=${BOSH_JOBS_DIR:-/var/vcap/jobs}',
      'exec "${BOSH_PACKAGES_DIR}/hybrid_cpi/bin/hybrid-cpi" --config "${BOSH_JOBS_DIR}/hybrid_cpi/config/cpi.json"',
    ]);
  });

  describe("bin/cpi under a private /var/vcap (the director's VM)", () => {
    // jobs/ rendered, packages/ installed by the package's own packaging script, and a stand-in
    // vSphere CPI job that records its request.
    const vcap = path.join(tmp, 'vcap');
    const hadVarVcap = fs.existsSync('/var/vcap');
    const callCpi = (request: object) => callInNamespace('/var/vcap/jobs/hybrid_cpi/bin/cpi', request, directorEnv(tmp), { '/var/vcap': vcap });

    beforeAll(() => {
      installJob(rendered, path.join(vcap, 'jobs/hybrid_cpi'));
      installPackage(path.join(vcap, 'packages/hybrid_cpi'));
      const vsphere = path.join(vcap, 'jobs/vsphere_cpi/bin/cpi');
      fs.mkdirSync(path.dirname(vsphere), { recursive: true });
      fs.mkdirSync(path.join(vcap, 'data'));
      fs.writeFileSync(
        vsphere,
        '#!/bin/sh\ncat > /var/vcap/data/vsphere-request.json\nprintf \'{"result":true,"error":null,"log":"vsphere: has_vm\\\\n"}\'\n',
        { mode: 0o755 },
      );
    });

    it('answers info from the rendered config', async () => {
      const result = await expectOk(callCpi({ method: 'info', arguments: [], context: { director_uuid: 'release-test', request_id: 'cpi-100001' } }));
      expect(result).toEqual({ api_version: 2, stemcell_formats: expect.any(Array) });
      expect([...result.stemcell_formats].sort()).toEqual(['openstack-light', 'openstack-qcow2', 'openstack-raw', 'vsphere-ova', 'vsphere-ovf']);
    });

    it('hands VM calls to the colocated vSphere CPI job, its log in the response', async () => {
      const run = await callCpi({
        method: 'has_vm',
        arguments: ['vms:vm-1'],
        context: { director_uuid: 'release-test', request_id: 'cpi-100002' },
        api_version: 2,
      });
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual({ result: true, error: null, log: expect.stringMatching(/^vsphere: has_vm\nhas_vm → vms: ok \(\d+ ms\)\n$/) });
      const delegated = JSON.parse(fs.readFileSync(path.join(vcap, 'data/vsphere-request.json'), 'utf8'));
      expect(delegated).toMatchObject({ method: 'has_vm', arguments: ['vm-1'] });
    });

    it('reaches Ironic through the rendered CA file', async () => {
      expect(
        await expectOk(callCpi({ method: 'has_vm', arguments: [`metal:${randomUUID()}`], context: { director_uuid: 'release-test' }, api_version: 2 })),
      ).toBe(false);
    });

    it('leaves the host /var/vcap as it was', () => {
      expect(fs.existsSync('/var/vcap')).toBe(hadVarVcap);
    });
  });
});

describe("the hybrid_cpi job as bosh create-env's cloud_provider, with examples/create-env", () => {
  const CREATE_ENV = path.join(ROOT, 'examples/create-env');
  // bosh-cli's layout: ~/.bosh/installations/<id>/{jobs,packages}, BOSH_*_DIR naming them.
  const installation = path.join(tmp, 'home/.bosh/installations', randomUUID());
  const rendered = path.join(tmp, 'rendered-create-env');
  const variables = () => ({ ...VARIABLES, ...CREATE_ENV_VARIABLES, ironic_url: ironic.url });
  let manifest: Record<string, any>;
  let node: FakeNode;

  beforeAll(async () => {
    manifest = manifestWith(CREATE_ENV, ['bare-metal.yml'], variables());
    // The client certificate for Ironic, from the job's templates too.
    const properties = structuredClone(manifest['cloud_provider'].properties);
    properties.hybrid_cpi.ironic_client_cert = CLIENT_CERT;
    properties.hybrid_cpi.ironic_client_key = CLIENT_KEY;
    Object.assign(properties.hybrid_cpi.backends.metal.ironic, { cert_file: 'ironic_client_cert.pem', key_file: 'ironic_client_key.pem' });
    renderJob(properties, rendered);
    installJob(rendered, path.join(installation, 'jobs/hybrid_cpi'));
    installPackage(path.join(installation, 'packages/hybrid_cpi'));
    node = await enrollFakeNode(ironic, { macs: [CREATE_ENV_VARIABLES.director_mac], resourceClass: 'director' });
  });
  afterAll(async () => {
    if (node !== undefined) await removeNodes(ironic, [node.uuid]);
  });

  /** One call the way bosh-cli's cpi_cmd_runner makes it: no /var/vcap anywhere, BOSH_*_DIR set. */
  const callCpi = (method: string, args: unknown[], apiVersion = 2) =>
    expectOk(
      callInNamespace(
        path.join(installation, 'jobs/hybrid_cpi/bin/cpi'),
        { method, arguments: args, context: { director_uuid: 'create-env' }, api_version: apiVersion },
        {
          PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
          HOME: path.join(tmp, 'home'),
          BOSH_PACKAGES_DIR: path.join(installation, 'packages'),
          BOSH_JOBS_DIR: path.join(installation, 'jobs'),
        },
      ),
    );

  it('makes hybrid_cpi the cloud_provider, selects the server by MAC and puts the persistent disk on a local device', () => {
    expect(manifest['cloud_provider']).toMatchObject({
      template: { name: 'hybrid_cpi', release: 'hybrid-cpi' },
      mbus: 'https://mbus:mbus-bootstrap-secret@10.0.0.6:6868',
    });
    expect(manifest['resource_pools'][0].cloud_properties).toEqual({ macs: [CREATE_ENV_VARIABLES.director_mac] });
    expect(manifest['disk_pools'][0].cloud_properties).toEqual({ persistent_disk: '/dev/sdc' });
    // The director then runs the same job, with the same backend, for what it deploys.
    expect(instanceGroupProperties(manifest)['hybrid_cpi']).toEqual(manifest['cloud_provider'].properties.hybrid_cpi);
    expect(instanceGroupProperties(manifest)['director']).toMatchObject({ cpi_job: 'hybrid_cpi' });
  });

  it("runs with no /var/vcap: info, then a director VM, its persistent disk, and delete-env's clean-up", async () => {
    // create-env's first call: info, with api_version 1 in the request.
    expect(await callCpi('info', [], 1)).toMatchObject({ api_version: 2 });
    const stemcell = await callCpi('create_stemcell', [
      '/tmp/unused-image',
      {
        name: 'bosh-openstack-kvm-ubuntu-noble',
        infrastructure: 'openstack',
        disk_format: 'qcow2',
        image_url: 'http://127.0.0.1:9/root.qcow2',
        image_checksum: `sha256:${'a'.repeat(64)}`,
      },
    ]);
    const networks = {
      default: {
        type: 'manual',
        ip: '10.0.0.6',
        netmask: '255.255.255.0',
        gateway: '10.0.0.1',
        default: ['dns', 'gateway'],
        dns: ['10.0.0.2'],
        cloud_properties: {},
      },
    };
    const env = manifest['resource_pools'][0].env;
    const [vm] = await callCpi('create_vm', ['agent-director', stemcell, manifest['resource_pools'][0].cloud_properties, networks, [], env]);
    expect(vm).toMatch(/^metal:/);
    const disk = await callCpi('create_disk', [65536, manifest['disk_pools'][0].cloud_properties, vm]);
    expect(await callCpi('attach_disk', [vm, disk])).toMatchObject({ path: expect.stringMatching(/^\/dev\//) });
    expect(await callCpi('has_vm', [vm])).toBe(true);

    // The agent listens where create-env reaches it, with the blobstore and mbus cert of bosh.yml.
    const settings = JSON.parse(storedConfigDrive(ironic, node.uuid).get('ec2/latest/user-data')!);
    expect(settings).toMatchObject({ agent_id: 'agent-director', mbus: 'https://mbus:mbus-bootstrap-secret@0.0.0.0:6868', env });

    for (const [method, args] of [
      ['detach_disk', [vm, disk]],
      ['delete_vm', [vm]],
      ['delete_disk', [disk]],
      ['delete_stemcell', [stemcell]],
    ] as const) {
      await callCpi(method, [...args]);
    }
    expect(await callCpi('has_vm', [vm])).toBe(false);
  });
});
