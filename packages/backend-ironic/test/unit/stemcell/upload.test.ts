import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '@hybrid-cpi/core';
import { NothingWritten } from '../../../src/image-store/store.js';
import { isImageName } from '../../../src/stemcell/object-name.js';
import { uploadRootImage, type UploadRequest } from '../../../src/stemcell/upload.js';
import { FakeStore, captureLogger, diskBytes, sha256, useTempDirs, writeStemcellImage, writeTarball } from './helpers.js';

const tempDir = useTempDirs();

function upload(imagePath: string, store: FakeStore, more: Partial<UploadRequest> = {}) {
  return uploadRootImage({ imagePath, diskFormat: 'qcow2', store, signal: new AbortController().signal, logger: silentLogger, ...more });
}

/** The rejection of `promise`, as the CpiError it must be. */
async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e as { code: string; message: string },
  );
  if (error === undefined) throw new Error('expected a rejection');
  return error;
}

describe('uploadRootImage', () => {
  it('streams root.img to the store and hashes exactly its bytes (sha256 as node:crypto has it)', async () => {
    const dir = tempDir();
    // Not a multiple of 512: the tar padding must not reach the store or the digests.
    const rootImg = diskBytes(3 * 1024 * 1024 + 123);
    const store = new FakeStore();
    const image = await upload(await writeStemcellImage(dir, rootImg), store);
    expect(image).toMatchObject({ size: rootImg.length, sha256: sha256(rootImg), url: store.urlOf(image.name) });
    expect(isImageName(image.name) && image.name.endsWith('.qcow2')).toBe(true);
    expect(store.objects.get(image.name)?.equals(rootImg)).toBe(true);
    expect(store.puts).toEqual([{ name: image.name, size: rootImg.length }]);
    expect(store.deleted).toEqual([]);
  });

  it('names raw images .raw, takes ./root.img, and gives each upload its own name', async () => {
    const dir = tempDir();
    const imagePath = await writeStemcellImage(dir, Buffer.from('raw disk'), './root.img');
    const store = new FakeStore();
    const a = await upload(imagePath, store, { diskFormat: 'raw' });
    const b = await upload(imagePath, store, { diskFormat: 'raw' });
    expect(a.name).toMatch(/^sc-[0-9a-f-]{36}\.raw$/);
    expect(a.name).not.toBe(b.name);
    expect(a.sha256).toBe(sha256(Buffer.from('raw disk')));
  });

  it('takes an empty root.img', async () => {
    const store = new FakeStore();
    const image = await upload(await writeStemcellImage(tempDir(), Buffer.alloc(0)), store);
    expect(image).toMatchObject({ size: 0, sha256: sha256(Buffer.alloc(0)) });
  });

  it('logs progress every interval with bytes, percent and MB/s, then a final line with the digests', async () => {
    const rootImg = diskBytes(4 * 1024 * 1024);
    const store = new FakeStore();
    store.chunkDelayMs = 15;
    const logger = captureLogger();
    const imagePath = await writeStemcellImage(tempDir(), rootImg);
    const image = await upload(imagePath, store, { logger, progressIntervalMs: 40 });
    const progress = logger.entries.filter((e) => e.msg === 'uploading stemcell');
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress[0]?.fields).toMatchObject({ stemcell: imagePath, object: image.url, bytes: 0, total: rootImg.length, percent: 0 });
    for (const { fields } of progress) {
      expect(fields).toEqual(
        expect.objectContaining({ bytes: expect.any(Number), percent: expect.any(Number), mb_per_s: expect.any(Number), elapsed_s: expect.any(Number) }),
      );
    }
    const bytes = progress.map((e) => e.fields['bytes'] as number);
    expect(bytes).toEqual([...bytes].sort((x, y) => x - y));
    expect(bytes.at(-1)).toBeGreaterThan(0);
    const last = logger.entries.at(-1);
    expect(last?.msg).toBe('uploaded stemcell');
    expect(last?.fields).toMatchObject({
      object: image.url,
      bytes: rootImg.length,
      sha256: sha256(rootImg),
      mb_per_s: expect.any(Number),
      seconds: expect.any(Number),
    });
    // No line after the end: the timer is stopped.
    const count = logger.entries.length;
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(logger.entries.length).toBe(count);
  });

  describe('fails clearly, naming the image and the store, and leaves nothing in the store', () => {
    it('when the image is not gzip', async () => {
      const dir = tempDir();
      const imagePath = path.join(dir, 'image');
      fs.writeFileSync(imagePath, 'this is no gzip file at all');
      const store = new FakeStore();
      const error = await failure(upload(imagePath, store));
      expect(error.code).toBe('CPX_ARGUMENTS');
      expect(error.message).toMatch(
        `Uploading root.img of stemcell image ${imagePath} to image store http://store.test/images: the image is not an intact gzip file (gunzip: ` +
          `incorrect header check)`,
      );
      expect(store.puts).toEqual([]);
    });

    it('when the gzip stream is corrupt in the middle of root.img', async () => {
      const dir = tempDir();
      const imagePath = await writeStemcellImage(dir, diskBytes(4 * 1024 * 1024));
      const bytes = fs.readFileSync(imagePath);
      for (let i = Math.floor(bytes.length * 0.6); i < bytes.length * 0.6 + 64; i++) bytes[i] = (bytes[i] ?? 0) ^ 0x5a;
      fs.writeFileSync(imagePath, bytes);
      const store = new FakeStore();
      const error = await failure(upload(imagePath, store));
      expect(error.code).toBe('CPX_ARGUMENTS');
      expect(error.message).toMatch(/: the image is not an intact gzip file \(gunzip: /);
      expect(store.puts.length).toBe(1);
      expect(store.deleted).toEqual([store.puts[0]?.name]);
      expect(store.objects.size).toBe(0);
    });

    it('when the gzip stream is truncated', async () => {
      const dir = tempDir();
      const imagePath = await writeStemcellImage(dir, diskBytes(4 * 1024 * 1024));
      fs.truncateSync(imagePath, Math.floor(fs.statSync(imagePath).size * 0.7));
      const store = new FakeStore();
      const error = await failure(upload(imagePath, store));
      expect(error).toMatchObject({
        code: 'CPX_ARGUMENTS',
        message: expect.stringMatching(/the image is not an intact gzip file \(gunzip: unexpected end of file\)$/),
      });
      expect(store.objects.size).toBe(0);
      expect(store.deleted.length).toBe(1);
    });

    it('when the gzip stream is whole but the tar inside ends within root.img', async () => {
      const dir = tempDir();
      const tarPath = await writeTarball(path.join(dir, 'image.tar'), [{ name: 'root.img', data: diskBytes(1024 * 1024) }], { gzip: false });
      const imagePath = path.join(dir, 'image');
      fs.writeFileSync(imagePath, (await import('node:zlib')).gzipSync(fs.readFileSync(tarPath).subarray(0, 600 * 1024)));
      const store = new FakeStore();
      const error = await failure(upload(imagePath, store));
      expect(error).toMatchObject({
        code: 'CPX_ARGUMENTS',
        message: expect.stringMatching(/: the image is not an intact tar archive \(tar: Unexpected end of data\)$/),
      });
      expect(store.objects.size).toBe(0);
    });

    it('when the gzip data is no tar', async () => {
      const dir = tempDir();
      const imagePath = path.join(dir, 'image');
      fs.writeFileSync(imagePath, (await import('node:zlib')).gzipSync(Buffer.alloc(4096, 'x')));
      const error = await failure(upload(imagePath, new FakeStore()));
      expect(error).toMatchObject({
        code: 'CPX_ARGUMENTS',
        message: expect.stringMatching(/: the image is not an intact tar archive \(tar: Invalid tar header/),
      });
    });

    it('when there is no root.img', async () => {
      const dir = tempDir();
      const imagePath = await writeTarball(path.join(dir, 'image'), [
        { name: 'stemcell.MF', data: Buffer.from('name: x\n') },
        { name: 'disk.vmdk', data: Buffer.alloc(1000) },
      ]);
      const store = new FakeStore();
      const error = await failure(upload(imagePath, store));
      expect(error).toMatchObject({
        code: 'CPX_ARGUMENTS',
        message:
          `Uploading root.img of stemcell image ${imagePath} to image store http://store.test/images: the archive has no root.img (it holds ` +
          `stemcell.MF, disk.vmdk); is this a heavy OpenStack stemcell?`,
      });
      expect(store.puts).toEqual([]);
    });

    it('when root.img is not a regular file', async () => {
      const imagePath = await writeTarball(path.join(tempDir(), 'image'), [{ name: 'root.img', type: 'symlink' }]);
      const error = await failure(upload(imagePath, new FakeStore()));
      expect(error).toMatchObject({
        code: 'CPX_ARGUMENTS',
        message: expect.stringMatching(/: root.img in the archive is not a regular file \(tar entry type symlink\)/),
      });
    });

    it('when the archive holds two root.img', async () => {
      const imagePath = await writeTarball(path.join(tempDir(), 'image'), [
        { name: 'root.img', data: Buffer.from('a') },
        { name: './root.img', data: Buffer.from('b') },
      ]);
      const store = new FakeStore();
      const error = await failure(upload(imagePath, store));
      expect(error).toMatchObject({ code: 'CPX_ARGUMENTS', message: expect.stringMatching(/: the archive holds more than one root.img$/) });
      expect(store.objects.size).toBe(0);
      expect(store.deleted.length).toBe(1);
    });

    it('when the image is empty (a light stemcell without image_url)', async () => {
      const imagePath = path.join(tempDir(), 'image');
      fs.writeFileSync(imagePath, '');
      const error = await failure(upload(imagePath, new FakeStore()));
      expect(error).toMatchObject({
        code: 'CPX_ARGUMENTS',
        message: expect.stringMatching(
          /: the image is empty, as in a light stemcell; a light stemcell for Ironic needs cloud_properties image_url and image_checksum$/,
        ),
      });
    });

    it('when the image does not exist', async () => {
      const imagePath = path.join(tempDir(), 'missing');
      const error = await failure(upload(imagePath, new FakeStore()));
      expect(error).toMatchObject({
        code: 'CPX_ARGUMENTS',
        message: expect.stringMatching(new RegExp(`^Uploading root.img of stemcell image ${imagePath} .*: cannot read the image: ENOENT`)),
      });
    });

    it('when the store fails mid-stream: the partial object is deleted and the store error reported', async () => {
      const rootImg = diskBytes(4 * 1024 * 1024);
      const store = new FakeStore();
      store.failAfter = 1024 * 1024;
      const imagePath = await writeStemcellImage(tempDir(), rootImg);
      const error = await failure(upload(imagePath, store));
      const name = store.puts[0]?.name ?? '';
      expect(error).toMatchObject({
        code: 'CPX_BACKEND_FAILURE',
        message:
          `Uploading root.img of stemcell image ${imagePath} to image store http://store.test/images: PUT http://store.test/images/${name} ` +
          `answered 507 Insufficient Storage: the store is out of space`,
      });
      expect(store.deleted).toEqual([name]);
      expect(store.objects.size).toBe(0);
    });

    it('when the store destroys the body with its own error (as undici does): the store error, not a broken image', async () => {
      const store = new FakeStore();
      store.put = async (name, body) => {
        store.puts.push({ name, size: 0 });
        store.objects.set(name, Buffer.alloc(1));
        for await (const _ of body) {
          body.destroy(new Error('other side closed'));
          break;
        }
        throw new Error(`PUT ${store.urlOf(name)} failed: other side closed`);
      };
      const error = await failure(upload(await writeStemcellImage(tempDir(), diskBytes(8 * 1024 * 1024)), store));
      expect(error).toMatchObject({
        code: 'CPX_BACKEND_FAILURE',
        message: expect.stringMatching(/: PUT http:\/\/store.test\/images\/sc-\S+ failed: other side closed$/),
      });
      expect(store.objects.size).toBe(0);
    });

    it('when the store refuses before writing anything: nothing to delete', async () => {
      const store = new FakeStore();
      store.put = async (name) => {
        store.puts.push({ name, size: 0 });
        throw new NothingWritten(`PUT ${store.urlOf(name)} answered 403 Forbidden`);
      };
      const error = await failure(upload(await writeStemcellImage(tempDir(), diskBytes(100_000)), store));
      expect(error).toMatchObject({
        code: 'CPX_BACKEND_FAILURE',
        message: expect.stringMatching(/: PUT http:\/\/store.test\/images\/sc-\S+ answered 403 Forbidden$/),
      });
      expect(store.deleted).toEqual([]);
    });

    it('when removing the partial object fails too, and says so', async () => {
      const store = new FakeStore();
      store.failAfter = 1;
      store.delete = async () => {
        throw new Error('DELETE answered 503 Service Unavailable');
      };
      const logger = captureLogger();
      const error = await failure(upload(await writeStemcellImage(tempDir(), diskBytes(100_000)), store, { logger }));
      expect(error.message).toMatch(
        /answered 507 Insufficient Storage: the store is out of space; removing the partial object http:\/\/store.test\/images\/sc-.*\.qcow2 /,
      );
      expect(error.message).toMatch(/\.qcow2 failed too: DELETE answered 503 Service Unavailable$/);
      expect(logger.entries.some((e) => e.level === 'error' && e.msg === 'removing a partly uploaded stemcell image failed')).toBe(true);
    });

    it('when the call is aborted mid-stream, even by a store that ignores the signal', async () => {
      const rootImg = diskBytes(8 * 1024 * 1024);
      const store = new FakeStore();
      const abort = new AbortController();
      store.onChunk = (bytes) => {
        if (bytes > 1024 * 1024) abort.abort(new Error('SIGTERM'));
      };
      const imagePath = await writeStemcellImage(tempDir(), rootImg);
      const error = await failure(upload(imagePath, store, { signal: abort.signal }));
      expect(error).toMatchObject({
        code: 'CPX_BACKEND_FAILURE',
        message: `Uploading root.img of stemcell image ${imagePath} to image store http://store.test/images: aborted (SIGTERM)`,
      });
      expect(store.objects.size).toBe(0);
      expect(store.deleted).toEqual([store.puts[0]?.name]);
    });

    it('when aborted before it starts', async () => {
      const store = new FakeStore();
      const error = await failure(upload(await writeStemcellImage(tempDir(), Buffer.from('x')), store, { signal: AbortSignal.abort(new Error('SIGINT')) }));
      expect(error).toMatchObject({ code: 'CPX_BACKEND_FAILURE', message: expect.stringMatching(/: aborted \(SIGINT\)$/) });
      expect(store.objects.size).toBe(0);
    });
  });
});
