// Gzipped tarballs written with tar-stream and node:zlib, hashed while they are written (one pass
// over the ~45 MB package). Entry names start with "./", as `tar -C dir .` (bosh-cli) writes them.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import tar from 'tar-stream';

/**
 * @typedef {{name: string, mode: number, content?: Buffer | string, file?: string}} Entry
 *   A directory when its name ends with "/"; else a file with `content`, or the file at `file`.
 * @param {string} out
 * @param {Entry[]} entries
 * @param {{level: number, mtime: Date}} options gzip level; one mtime for every entry, so equal
 *   inputs give an equal tarball (zlib writes no time into the gzip header).
 * @returns {Promise<string>} the SHA-1 of the tarball
 */
export async function writeTgz(out, entries, { level, mtime }) {
  const pack = tar.pack();
  const hash = crypto.createHash('sha1');
  const hashing = new Transform({
    transform(chunk, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  const written = pipeline(pack, zlib.createGzip({ level }), hashing, fs.createWriteStream(out));
  try {
    for (const entry of entries) await add(pack, entry, mtime);
    pack.finalize();
  } catch (error) {
    pack.destroy(error);
  }
  await written;
  return hash.digest('hex');
}

function add(pack, { name, mode, content, file }, mtime) {
  const header = { name: `./${name}`, mode, mtime, uid: 0, gid: 0 };
  return new Promise((resolve, reject) => {
    const done = (error) => (error ? reject(error) : resolve());
    if (name.endsWith('/')) return void pack.entry({ ...header, type: 'directory' }, done);
    if (file === undefined) return void pack.entry(header, content, done);
    const entry = pack.entry({ ...header, size: fs.statSync(file).size }, done);
    const source = fs.createReadStream(file);
    source.on('error', reject);
    source.pipe(entry);
  });
}
