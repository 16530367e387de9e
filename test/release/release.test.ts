// The BOSH release as the director gets it (issue 6, acceptance 1): `npm run release` builds the
// tarball; its release.MF names every job and package with the SHA-1 of its archive and the
// fingerprint bosh-cli would compute; the job renders (Ruby ERB, test/release/render-job.rb)
// with bosh-deployment's properties and examples/bosh-deployment; the rendered config loads; and
// the rendered bin/cpi, with the package installed by its own packaging script, answers the
// director under /var/vcap — a /var/vcap private to the test's mount namespace.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '@hybrid-cpi/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { BUILTIN_BACKENDS } from '../../packages/cli/src/builtins.js';
import { boshFingerprint, fileSha1 } from './helpers/bosh-fingerprint.js';
import { applyPropertyOps, readOps } from './helpers/ops-file.js';
import { unpack, type TarEntry } from './helpers/unpack.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const EXECUTABLE = path.join(ROOT, 'packages/cli/dist/hybrid-cpi');
const EXAMPLES = path.join(ROOT, 'examples/bosh-deployment');
/** What survives the director's `unsetenv_others: true` (reference/bosh-cpi.md §1.1). */
const directorEnv = (tmp: string) => ({ PATH: '/usr/sbin:/usr/bin:/sbin:/bin', TMPDIR: tmp, HOME: tmp });

const VARIABLES = {
  hybrid_cpi_release_version: '0.1.0',
  hybrid_cpi_release_url: 'file:///tmp/hybrid-cpi-release-0.1.0.tgz',
  // Nothing listens there: no call here may reach Ironic.
  ironic_url: 'http://127.0.0.1:9',
  ironic_username: 'bosh',
  ironic_password: 'ironic-secret',
  ironic_image_store_url: 'http://127.0.0.1:9/images',
  ironic_image_store_username: 'bosh',
  ironic_image_store_password: 'image-store-secret',
  ironic_ca: '-----BEGIN CERTIFICATE-----\nMIIBironicCA\n-----END CERTIFICATE-----\n',
};

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

const files = (entries: TarEntry[]) => entries.filter((e) => e.type === 'file').map((e) => e.name).sort();

describe('the release tarball', () => {
  it('is built by npm run release in CI time', () => {
    // The ~130 MB executable is gzipped once (level 6) and framed once more (level 1).
    const rebuilt = buildLog.includes('build: done');
    console.info(`release tarball: ${(buildMs / 1000).toFixed(1)} s${rebuilt ? ' (with a build of the executable)' : ''}, ${(fs.statSync(tarball).size / 1e6).toFixed(1)} MB`);
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
    expect(files(jobEntries)).toEqual(['./job.MF', './monit', './templates/ca_certs.pem.erb', './templates/cpi.erb', './templates/cpi.json.erb']);
    expect(fs.readFileSync(path.join(jobDir, 'job.MF'), 'utf8')).toBe(fs.readFileSync(path.join(ROOT, 'release/jobs/hybrid_cpi/spec'), 'utf8'));
    expect(files(packageEntries)).toEqual(['./hybrid_cpi/hybrid-cpi', './packaging']);
    expect(packageEntries.find((e) => e.name === './hybrid_cpi/hybrid-cpi')!.mode & 0o777).toBe(0o755);
    expect(fileSha1(path.join(packageDir, 'hybrid_cpi/hybrid-cpi'))).toBe(fileSha1(EXECUTABLE));
  });
});

describe('the hybrid_cpi job with bosh-deployment and examples/bosh-deployment', () => {
  const rendered = path.join(tmp, 'rendered');
  let config: Record<string, any>;

  beforeAll(() => {
    const properties = YAML.parse(fs.readFileSync(path.join(import.meta.dirname, 'fixtures/director-properties.yml'), 'utf8'));
    for (const file of ['hybrid-cpi.yml', 'hybrid-cpi-ironic-ca.yml']) applyPropertyOps(properties, readOps(path.join(EXAMPLES, file), VARIABLES));
    renderJob(properties, rendered);
    config = JSON.parse(fs.readFileSync(path.join(rendered, 'config/cpi.json'), 'utf8'));
  });

  it('makes the mbus URL from nats.* when agent.mbus is not set, and leaves out a blobstore it cannot address', () => {
    const out = path.join(tmp, 'rendered-nats');
    renderJob({ nats: { address: '10.0.0.7', password: 'p@ss/word' }, hybrid_cpi: { backends: { vms: { type: 'delegate', command: ['/bin/true'], stemcell_formats: ['raw'] } } } }, out);
    const agent = JSON.parse(fs.readFileSync(path.join(out, 'config/cpi.json'), 'utf8')).agent;
    // Defaults from the job spec: user nats, port 4222; the password escaped for the URL.
    expect(agent).toEqual({ mbus: 'nats://nats:p%40ss%2Fword@10.0.0.7:4222', ntp: [] });
  });

  it('refuses to render without backends', () => {
    expect(() => renderJob({}, path.join(tmp, 'rendered-empty'))).toThrow(/Can't find property 'hybrid_cpi.backends'/);
  });

  it('adds the release and the job, and makes hybrid_cpi the director CPI', () => {
    const ops = readOps(path.join(EXAMPLES, 'hybrid-cpi.yml'), VARIABLES);
    expect(ops).toContainEqual({ type: 'replace', path: '/releases/name=hybrid-cpi?', value: { name: 'hybrid-cpi', version: '0.1.0', url: VARIABLES.hybrid_cpi_release_url } });
    expect(ops).toContainEqual({ type: 'replace', path: '/instance_groups/name=bosh/jobs/name=hybrid_cpi?', value: { name: 'hybrid_cpi', release: 'hybrid-cpi' } });
    expect(ops).toContainEqual({ type: 'replace', path: '/instance_groups/name=bosh/properties/director/cpi_job?', value: 'hybrid_cpi' });
  });

  it('renders the config of DESIGN.md §8 with the director agent settings', () => {
    expect(config).toEqual({
      log_level: 'info',
      default_backend: 'vms',
      legacy_backend: 'vms',
      backends: {
        vms: { type: 'delegate', command: ['/var/vcap/jobs/vsphere_cpi/bin/cpi'], stemcell_formats: ['vsphere-ova', 'vsphere-ovf'] },
        metal: {
          type: 'ironic',
          ironic: {
            url: VARIABLES.ironic_url,
            auth: { type: 'http_basic', username: 'bosh', password: VARIABLES.ironic_password },
            ca_file: '/var/vcap/jobs/hybrid_cpi/config/ca_certs.pem',
          },
          image_store: {
            type: 'webdav',
            url: VARIABLES.ironic_image_store_url,
            username: 'bosh',
            password: VARIABLES.ironic_image_store_password,
            ca_file: '/var/vcap/jobs/hybrid_cpi/config/ca_certs.pem',
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

  it('renders a config the CPI loads', async () => {
    const loaded = await loadConfig(path.join(rendered, 'config/cpi.json'), BUILTIN_BACKENDS);
    expect([...loaded.backends.keys()].sort()).toEqual(['metal', 'vms']);
    expect(loaded.defaultBackend).toBe('vms');
    expect(loaded.legacyBackend).toBe('vms');
  });

  it('renders bin/cpi with absolute /var/vcap paths only', () => {
    const script = fs.readFileSync(path.join(rendered, 'bin/cpi'), 'utf8');
    expect(script.startsWith('#!/bin/bash\n')).toBe(true);
    const command = script.split('\n').find((line) => line.startsWith('exec '));
    expect(command).toBe('exec /var/vcap/packages/hybrid_cpi/bin/hybrid-cpi --config /var/vcap/jobs/hybrid_cpi/config/cpi.json');
  });

  describe('bin/cpi under a private /var/vcap', () => {
    // The director's VM, in a directory of the test: jobs/ rendered, packages/ installed by the
    // package's own packaging script, and a stand-in vSphere CPI job that records its request.
    const vcap = path.join(tmp, 'vcap');
    const hadVarVcap = fs.existsSync('/var/vcap');

    beforeAll(() => {
      const jobRoot = path.join(vcap, 'jobs/hybrid_cpi');
      fs.mkdirSync(jobRoot, { recursive: true });
      fs.cpSync(rendered, jobRoot, { recursive: true });
      // The director refuses a CPI that is not executable.
      fs.chmodSync(path.join(jobRoot, 'bin/cpi'), 0o755);

      const target = path.join(vcap, 'packages/hybrid_cpi');
      const packaging = spawnSync('bash', ['packaging'], {
        cwd: packageDir,
        env: { ...directorEnv(tmp), BOSH_INSTALL_TARGET: target, BOSH_COMPILE_TARGET: packageDir },
        encoding: 'utf8',
      });
      if (packaging.status !== 0) throw new Error(`the packaging script failed:\n${packaging.stderr}`);

      const vsphere = path.join(vcap, 'jobs/vsphere_cpi/bin/cpi');
      fs.mkdirSync(path.dirname(vsphere), { recursive: true });
      fs.mkdirSync(path.join(vcap, 'data'));
      fs.writeFileSync(vsphere, '#!/bin/sh\ncat > /var/vcap/data/vsphere-request.json\nprintf \'{"result":true,"error":null,"log":""}\'\n', { mode: 0o755 });
    });

    /**
     * One call, as the director makes it, inside a mount namespace of its own: a tmpfs over /var
     * (so /var/vcap can exist without touching the host) and the test's vcap directory bound at
     * /var/vcap. Everything ends with the process; the host's /var is never written.
     */
    function callCpi(request: object): Promise<{ stdout: string; stderr: string; code: number | null }> {
      if (process.getuid?.() !== 0) throw new Error('running bin/cpi under /var/vcap needs root for unshare --mount (CI runs as root)');
      if (vcap.startsWith('/var/')) throw new Error(`the test's directory ${vcap} is under /var, which the tmpfs would hide`);
      const script = 'mount -t tmpfs -o mode=0755 tmpfs /var && mkdir /var/vcap && mount --bind "$1" /var/vcap && exec /var/vcap/jobs/hybrid_cpi/bin/cpi';
      return new Promise((resolve, reject) => {
        const child = spawn('unshare', ['--mount', '--propagation', 'private', '--', '/bin/sh', '-c', script, 'sh', vcap], {
          env: directorEnv(tmp),
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

    it('answers info from the rendered config', async () => {
      const run = await callCpi({ method: 'info', arguments: [], context: { director_uuid: 'release-test', request_id: 'cpi-100001' } });
      expect(run.code, run.stderr).toBe(0);
      const response = JSON.parse(run.stdout);
      expect(response).toEqual({ result: { api_version: 2, stemcell_formats: expect.any(Array) }, error: null, log: expect.any(String) });
      expect([...response.result.stemcell_formats].sort()).toEqual(['openstack-light', 'openstack-qcow2', 'openstack-raw', 'vsphere-ova', 'vsphere-ovf']);
      for (const secret of [VARIABLES.ironic_password, VARIABLES.ironic_image_store_password, 'blobstore-agent-secret']) {
        expect(run.stdout + run.stderr).not.toContain(secret);
      }
    });

    it('hands VM calls to the colocated vSphere CPI job', async () => {
      const run = await callCpi({ method: 'has_vm', arguments: ['vms:vm-1'], context: { director_uuid: 'release-test', request_id: 'cpi-100002' }, api_version: 2 });
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual({ result: true, error: null, log: expect.any(String) });
      const delegated = JSON.parse(fs.readFileSync(path.join(vcap, 'data/vsphere-request.json'), 'utf8'));
      expect(delegated).toMatchObject({ method: 'has_vm', arguments: ['vm-1'] });
    });

    it('leaves the host /var/vcap as it was', () => {
      expect(fs.existsSync('/var/vcap')).toBe(hadVarVcap);
    });
  });
});
