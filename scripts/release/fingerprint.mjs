// Fingerprints as bosh-cli computes them (release/resource/fingerprint.go, "v2"): the SHA-1 of
// "v2", then for each file sorted by relative path its path, the SHA-1 of its content and its
// git-like mode (100755 if executable, else 100644; none when the file excludes its mode), then
// the sorted extra chunks joined by ",". The director compares these with what it already has.
import crypto from 'node:crypto';
import fs from 'node:fs';

export const sha1 = (data) => crypto.createHash('sha1').update(data).digest('hex');

/** The SHA-1 of a file, streamed (the executable is ~130 MB). */
export async function fileSha1(file) {
  const hash = crypto.createHash('sha1');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk);
  return hash.digest('hex');
}

/**
 * @param {{path: string, sha1: string, executable: boolean, excludeMode?: boolean}[]} files
 *   `path` is the file's path inside the job or package archive.
 * @param {string[]} chunks a package's dependency names; nothing for a job.
 */
export function fingerprint(files, chunks = []) {
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  let text = 'v2';
  for (const file of sorted) text += file.path + file.sha1 + (file.excludeMode ? '' : file.executable ? '100755' : '100644');
  if (chunks.length > 0) text += [...chunks].sort().join(',');
  return sha1(text);
}
