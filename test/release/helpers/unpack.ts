// Unpacks a .tgz with tar-stream (what the director gets is a plain gzipped tar), keeping modes.
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import tar from 'tar-stream';

export interface TarEntry {
  name: string;
  type: string;
  mode: number;
  size: number;
}

/** Every entry, in order; files and directories written under `into`. */
export async function unpack(tgz: string, into: string): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    entries.push({ name: header.name, type: header.type ?? 'file', mode: header.mode ?? 0, size: header.size ?? 0 });
    const target = path.join(into, header.name);
    if (!target.startsWith(path.resolve(into))) return next(new Error(`entry ${header.name} leaves the directory`));
    if (header.type === 'directory') {
      fs.mkdirSync(target, { recursive: true });
      stream.resume();
      return next();
    }
    fs.mkdirSync(path.dirname(target), { recursive: true });
    pipeline(stream, fs.createWriteStream(target)).then(() => {
      fs.chmodSync(target, header.mode ?? 0o644); // exact, whatever the umask
      next();
    }, next);
  });
  await pipeline(fs.createReadStream(tgz), zlib.createGunzip(), extract);
  return entries;
}
