import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ImageStore } from './store.js';
import { baseUrl, objectNameIn, objectUrl, safeUrl } from './urls.js';

/** `image_store` with `type: file` (docs/config-reference.md). */
export interface FileStoreConfig {
  readonly type: 'file';
  /** A directory the Ironic conductors (or the web server in front of it) can read. */
  readonly path: string;
  /** The URL under which that directory is served to Ironic. */
  readonly url: string;
}

/** A local (or shared) directory served to Ironic at `url`. */
export function makeFileStore(config: FileStoreConfig): ImageStore {
  const base = baseUrl(config.url);
  const dir = config.path;
  return {
    location: `${dir} (served at ${safeUrl(base)})`,
    urlOf: (name) => objectUrl(base, name),
    async put(name, body, size, signal) {
      // Written under a hidden name and renamed, so the object's URL never serves half an image.
      const final = path.join(dir, name);
      const partial = path.join(dir, `.${name}.${randomUUID().slice(0, 8)}.part`);
      try {
        await pipeline(body, fs.createWriteStream(partial, { flags: 'wx', mode: 0o644, flush: true, highWaterMark: 1 << 20 }), { signal });
        const written = (await fs.promises.stat(partial)).size;
        if (written !== size) throw new Error(`wrote ${written} bytes, expected ${size}`);
        await fs.promises.rename(partial, final);
      } catch (error) {
        await fs.promises.rm(partial, { force: true }).catch(() => undefined);
        throw new Error(`writing ${final}: ${describe(error, dir)}`, { cause: error });
      }
      return objectUrl(base, name);
    },
    async read(name) {
      const file = path.join(dir, name);
      return fs.promises.readFile(file).catch((error: unknown) => Promise.reject(new Error(`reading ${file}: ${(error as Error).message}`, { cause: error })));
    },
    async delete(name) {
      const file = path.join(dir, name);
      try {
        await fs.promises.unlink(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw new Error(`deleting ${file}: ${describe(error, dir)}`, { cause: error });
      }
    },
    nameOf: (url) => objectNameIn(base, url),
    close: async () => undefined,
  };
}

function describe(error: unknown, dir: string): string {
  const e = error as NodeJS.ErrnoException;
  // Only errors about the store's own files: the body's errors (the stemcell) pass as they are.
  if (e.path === undefined || !e.path.startsWith(dir)) return e.message ?? String(error);
  if (e.code === 'ENOENT') return `directory ${dir} does not exist`;
  if (e.code === 'EACCES' || e.code === 'EPERM' || e.code === 'EROFS') return `no permission to write in ${dir} (${e.code})`;
  if (e.code === 'ENOSPC') return `${dir} is out of space`;
  return e.message ?? String(error);
}
