// The release source under release/: for each job and package, the files of its archive (path
// inside the archive, where the bytes come from, mode) in the layout bosh-cli gives them.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { fileSha1 } from './fingerprint.mjs';

const executable = (file) => (fs.statSync(file).mode & 0o100) !== 0;

/** A file of an archive: `path` inside it, `file` on disk, and what its fingerprint needs. */
async function archiveFile(archivePath, file, extra = {}) {
  return { path: archivePath, file, sha1: await fileSha1(file), executable: executable(file), ...extra };
}

/**
 * A job archive: its spec as job.MF (so a change of the spec is a new job version), monit, and
 * each template under templates/.
 */
export async function readJob(releaseDir, name) {
  const dir = path.join(releaseDir, 'jobs', name);
  const spec = YAML.parse(fs.readFileSync(path.join(dir, 'spec'), 'utf8'));
  if (spec.name !== name) throw new Error(`release: job directory ${name} holds a spec named ${spec.name}`);
  const files = [await archiveFile('job.MF', path.join(dir, 'spec'))];
  if (fs.existsSync(path.join(dir, 'monit'))) files.push(await archiveFile('monit', path.join(dir, 'monit')));
  for (const template of Object.keys(spec.templates ?? {})) {
    files.push(await archiveFile(`templates/${template}`, path.join(dir, 'templates', template)));
  }
  return { name, spec, files, packages: spec.packages ?? [] };
}

/**
 * A package archive: its packaging script (fingerprinted without its mode) and the files its spec
 * lists, found under release/src or among `blobs` (archive path → file on disk: what bosh-cli
 * would take from blobs/). The spec itself is not in the archive; its dependencies are
 * fingerprint chunks.
 */
export async function readPackage(releaseDir, name, blobs) {
  const dir = path.join(releaseDir, 'packages', name);
  const spec = YAML.parse(fs.readFileSync(path.join(dir, 'spec'), 'utf8'));
  if (spec.name !== name) throw new Error(`release: package directory ${name} holds a spec named ${spec.name}`);
  const files = [await archiveFile('packaging', path.join(dir, 'packaging'), { excludeMode: true })];
  for (const pattern of spec.files ?? []) {
    // Exact paths only: the specs here need no globbing, and a pattern would silently match nothing.
    if (/[*?[{]/.test(pattern)) throw new Error(`release: package ${name} lists the pattern ${pattern}; list exact paths`);
    const file = blobs[pattern] ?? path.join(releaseDir, 'src', pattern);
    if (!fs.existsSync(file)) throw new Error(`release: package ${name} needs ${pattern}, and ${file} does not exist`);
    files.push(await archiveFile(pattern, file));
  }
  return { name, spec, files, dependencies: spec.dependencies ?? [] };
}

/** The directories an archive of these files needs, parents first. */
export function directoriesOf(files) {
  const dirs = new Set();
  for (const { path: p } of files) {
    for (let d = path.posix.dirname(p); d !== '.'; d = path.posix.dirname(d)) dirs.add(`${d}/`);
  }
  return [...dirs].sort();
}
