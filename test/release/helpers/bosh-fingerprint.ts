// The test's own fingerprint, written from bosh-cli's description (release/resource/
// fingerprint.go) and independent of scripts/release: SHA-1 over "v2", then per file sorted by
// its path in the archive: path, SHA-1 of the content, "100755"/"100644" unless the mode is
// excluded; then the sorted extra chunks joined by ",".
import crypto from 'node:crypto';
import fs from 'node:fs';

export interface FingerprintFile {
  /** Path inside the job or package archive. */
  path: string;
  /** Where its bytes are on disk. */
  file: string;
  /** The packaging script's mode is left out of a package's fingerprint. */
  excludeMode?: boolean;
}

const sha1Hex = (data: string | Buffer) => crypto.createHash('sha1').update(data).digest('hex');

export function boshFingerprint(files: FingerprintFile[], chunks: string[] = []): string {
  const parts = ['v2'];
  for (const f of [...files].sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)))) {
    parts.push(f.path, sha1Hex(fs.readFileSync(f.file)));
    if (!f.excludeMode) parts.push((fs.statSync(f.file).mode & 0o111) !== 0 ? '100755' : '100644');
  }
  if (chunks.length > 0) parts.push([...chunks].sort().join(','));
  return sha1Hex(parts.join(''));
}

export const fileSha1 = (file: string) => sha1Hex(fs.readFileSync(file));
