// `npm run release`: the BOSH release tarball dist/hybrid-cpi-release-<version>.tgz from the
// source under release/ and the built executable, with Node and npm packages only (no bosh-cli):
// release.MF, jobs/<job>.tgz and packages/<package>.tgz with bosh-cli's fingerprints and SHA-1s.
// Runs the build first (a no-op when no input changed).
//
//   node scripts/release.mjs [--version VERSION] [--out FILE]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import YAML from 'yaml';
import { fingerprint } from './release/fingerprint.mjs';
import { releaseManifest } from './release/manifest.mjs';
import { directoriesOf, readJob, readPackage } from './release/source.mjs';
import { writeTgz } from './release/tgz.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const releaseDir = path.join(root, 'release');
const exe = path.join(root, 'packages/cli/dist/hybrid-cpi');
// What bosh-cli would take from blobs/: built here, never committed.
const BLOBS = { 'hybrid_cpi/hybrid-cpi': exe };
// The package holds compressed output already; the outer gzip only frames it (level 1: -2 s).
const PACKAGE_GZIP_LEVEL = 6;
const OUTER_GZIP_LEVEL = 1;

const { values: args } = parseArgs({ options: { version: { type: 'string' }, out: { type: 'string' } } });
const started = Date.now();
const log = (text) => process.stderr.write(`release: ${text} (${Date.now() - started} ms)\n`);

execFileSync(process.execPath, [path.join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });

function git(...argv) {
  try {
    return execFileSync('git', argv, { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return undefined;
  }
}
const commitHash = git('rev-parse', '--short', 'HEAD') ?? 'non-git';
const uncommittedChanges = (git('status', '--porcelain') ?? '') !== '';
const commitTime = Number(git('log', '-1', '--format=%ct') ?? 0);
const mtime = new Date(commitTime * 1000);

const name = YAML.parse(fs.readFileSync(path.join(releaseDir, 'config/final.yml'), 'utf8')).name;
const version = args.version ?? JSON.parse(fs.readFileSync(path.join(root, 'packages/cli/package.json'), 'utf8')).version;
const out = path.resolve(args.out ?? path.join(root, 'dist', `${name}-release-${version}.tgz`));

const jobs = await Promise.all(
  fs
    .readdirSync(path.join(releaseDir, 'jobs'))
    .sort()
    .map((j) => readJob(releaseDir, j)),
);
const packages = await Promise.all(
  fs
    .readdirSync(path.join(releaseDir, 'packages'))
    .sort()
    .map((p) => readPackage(releaseDir, p, BLOBS)),
);
for (const job of jobs) {
  const missing = job.packages.filter((p) => !packages.some((pkg) => pkg.name === p));
  if (missing.length > 0) throw new Error(`release: job ${job.name} needs packages that do not exist: ${missing.join(', ')}`);
}
log('sources read');

const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'hybrid-cpi-release-'));
try {
  /** One archive: its files in their directories, hashed and fingerprinted. */
  const archive = async (kind, item, chunks, level) => {
    const entries = [
      ...directoriesOf(item.files).map((d) => ({ name: d, mode: 0o755 })),
      ...item.files.map((f) => ({ name: f.path, mode: f.executable ? 0o755 : 0o644, file: f.file })),
    ];
    fs.mkdirSync(path.join(staging, kind), { recursive: true });
    const sha1 = await writeTgz(path.join(staging, kind, `${item.name}.tgz`), entries, { level, mtime });
    return { ...item, fingerprint: fingerprint(item.files, chunks), sha1 };
  };
  const built = await Promise.all([
    ...jobs.map((j) => archive('jobs', j, [], 9)),
    ...packages.map((p) => archive('packages', p, p.dependencies, PACKAGE_GZIP_LEVEL)),
  ]);
  log('jobs and packages archived');

  const manifest = releaseManifest({
    name,
    version,
    commitHash,
    uncommittedChanges,
    jobs: built.filter((b) => 'packages' in b),
    packages: built.filter((b) => 'dependencies' in b),
  });
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const entries = [
    { name: 'release.MF', mode: 0o644, content: manifest },
    { name: 'jobs/', mode: 0o755 },
    ...jobs.map((j) => ({ name: `jobs/${j.name}.tgz`, mode: 0o644, file: path.join(staging, 'jobs', `${j.name}.tgz`) })),
    { name: 'packages/', mode: 0o755 },
    ...packages.map((p) => ({ name: `packages/${p.name}.tgz`, mode: 0o644, file: path.join(staging, 'packages', `${p.name}.tgz`) })),
  ];
  const sha1 = await writeTgz(out, entries, { level: OUTER_GZIP_LEVEL, mtime });
  log(
    `wrote ${path.relative(process.cwd(), out)}: ${name}/${version}, ${(fs.statSync(out).size / 1e6).toFixed(1)} MB, sha1 ` +
      `${sha1}${uncommittedChanges ? ' (uncommitted changes)' : ''}`,
  );
} finally {
  fs.rmSync(staging, { recursive: true, force: true });
}
