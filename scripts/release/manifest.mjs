// release.MF, with the keys bosh-cli writes (release/manifest/release.go). `version` of a job or
// package is its fingerprint, as in the releases bosh-cli makes.
import YAML from 'yaml';

/**
 * @param {{name: string, version: string, commitHash: string, uncommittedChanges: boolean,
 *   jobs: {name: string, fingerprint: string, sha1: string, packages: string[]}[],
 *   packages: {name: string, fingerprint: string, sha1: string, dependencies: string[]}[]}} release
 */
export function releaseManifest(release) {
  return YAML.stringify({
    name: release.name,
    version: release.version,
    commit_hash: release.commitHash,
    uncommitted_changes: release.uncommittedChanges,
    jobs: release.jobs.map((j) => ({ name: j.name, version: j.fingerprint, fingerprint: j.fingerprint, sha1: j.sha1, packages: j.packages })),
    packages: release.packages.map((p) => ({ name: p.name, version: p.fingerprint, fingerprint: p.fingerprint, sha1: p.sha1, dependencies: p.dependencies })),
  });
}
