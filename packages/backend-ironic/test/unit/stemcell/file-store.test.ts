import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { makeFileStore } from '../../../src/image-store/file.js';
import { useTempDirs } from './helpers.js';

const tempDir = useTempDirs();
const NAME = 'sc-0b1e9c2a-3f4d-4e5f-8a6b-7c8d9e0f1a2b.raw';
const signal = () => new AbortController().signal;

function failingBody(first: string, error: Error): Readable {
  return Readable.from(
    (async function* () {
      yield Buffer.from(first);
      throw error;
    })(),
  );
}

describe('file image store', () => {
  it('writes the object under its name, readable by others, and returns its URL', async () => {
    const dir = tempDir();
    const store = makeFileStore({ type: 'file', path: dir, url: 'http://10.0.0.5:8080/images/' });
    expect(await store.put(NAME, Readable.from([Buffer.from('disk '), Buffer.from('image')]), 10, signal())).toBe(`http://10.0.0.5:8080/images/${NAME}`);
    expect(fs.readFileSync(path.join(dir, NAME), 'utf8')).toBe('disk image');
    expect(fs.statSync(path.join(dir, NAME)).mode & 0o444).toBe(0o444);
    expect(fs.readdirSync(dir)).toEqual([NAME]);
    expect(store.nameOf(`http://10.0.0.5:8080/images/${NAME}`)).toBe(NAME);
    expect(store.nameOf(`http://10.0.0.6:8080/images/${NAME}`)).toBeUndefined();
    expect(store.location).toBe(`${dir} (served at http://10.0.0.5:8080/images)`);
    expect((await store.read(NAME, signal())).toString()).toBe('disk image');
    await expect(store.read('missing', signal())).rejects.toThrowError(`reading ${path.join(dir, 'missing')}: ENOENT`);
  });

  it('leaves no file when the body fails, and passes the body error on', async () => {
    const dir = tempDir();
    const store = makeFileStore({ type: 'file', path: dir, url: 'http://h/i' });
    await expect(store.put(NAME, failingBody('half', new Error('gunzip: unexpected end of file')), 10, signal())).rejects.toThrowError(
      `writing ${path.join(dir, NAME)}: gunzip: unexpected end of file`,
    );
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('refuses a short body', async () => {
    const dir = tempDir();
    const store = makeFileStore({ type: 'file', path: dir, url: 'http://h/i' });
    await expect(store.put(NAME, Readable.from([Buffer.from('abc')]), 10, signal())).rejects.toThrowError('wrote 3 bytes, expected 10');
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('stops when aborted, leaving nothing', async () => {
    const dir = tempDir();
    const store = makeFileStore({ type: 'file', path: dir, url: 'http://h/i' });
    const endless = new Readable({
      read() {
        this.push(Buffer.alloc(65536));
      },
    });
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 20);
    await expect(store.put(NAME, endless, 1e12, abort.signal)).rejects.toThrowError(/aborted/);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('names a missing directory', async () => {
    const dir = path.join(tempDir(), 'nope');
    const store = makeFileStore({ type: 'file', path: dir, url: 'http://h/i' });
    await expect(store.put(NAME, Readable.from([Buffer.from('x')]), 1, signal())).rejects.toThrowError(
      `writing ${path.join(dir, NAME)}: directory ${dir} does not exist`,
    );
  });

  it('deletes, taking a missing object as deleted', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, NAME), 'x');
    const store = makeFileStore({ type: 'file', path: dir, url: 'http://h/i' });
    await store.delete(NAME, signal());
    await store.delete(NAME, signal());
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
