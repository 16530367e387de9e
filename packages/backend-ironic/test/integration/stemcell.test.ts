// create_stemcell / delete_stemcell against a real WebDAV server (Debian nginx, test/support/webdav-lab.ts)
// and a file store, with a generated heavy OpenStack stemcell of a few hundred MB.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NativeCid } from '@hybrid-cpi/core';
import { startWebDav, type WebDavLab, type WebDavLabOptions } from '../../../../test/support/webdav-lab.js';
import type { IronicConfig } from '../../src/config.js';
import { createStemcell, deleteStemcell } from '../../src/methods/stemcells.js';
import { decodeStemcellCid } from '../../src/stemcell/cid.js';
import { OPENSTACK_QCOW2, callContext, captureLogger, diskBytes, ironicContext, writeTarball } from '../unit/stemcell/helpers.js';

const ROOT_IMG_MB = 320;

let work: string;
let stemcell: { image: string; sha256: string; size: number };
const labs: WebDavLab[] = [];

async function lab(options: WebDavLabOptions = {}): Promise<WebDavLab> {
  const started = await startWebDav(options);
  labs.push(started);
  return started;
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'stemcell-int-'));
  stemcell = await generateStemcell(work, ROOT_IMG_MB);
});

afterAll(async () => {
  await Promise.all(labs.map((l) => l.stop()));
  fs.rmSync(work, { recursive: true, force: true });
});

/** A heavy stemcell image: `root.img` of disk-like bytes, tarred and gzipped by the system's tar. */
async function generateStemcell(dir: string, mb: number): Promise<{ image: string; sha256: string; size: number }> {
  const rootImg = path.join(dir, 'root.img');
  const hash = createHash('sha256');
  const fd = fs.openSync(rootImg, 'w');
  for (let i = 0; i < mb; i++) {
    const block = diskBytes(1024 * 1024);
    hash.update(block);
    fs.writeSync(fd, block);
  }
  fs.closeSync(fd);
  fs.writeFileSync(path.join(dir, 'stemcell.MF'), 'name: bosh-openstack-kvm-ubuntu-jammy-go_agent\n');
  const image = path.join(dir, 'image');
  const tar = spawnSync('tar', ['-C', dir, '-I', 'gzip -1', '-cf', image, 'stemcell.MF', 'root.img'], { encoding: 'utf8' });
  if (tar.status !== 0) throw new Error(`tar: ${tar.stderr}`);
  fs.rmSync(rootImg);
  return { image, sha256: hash.digest('hex'), size: mb * 1024 * 1024 };
}

function webdavContext(l: { url: string; username?: string | undefined; password?: string | undefined }, collection = 'stemcells', logger = captureLogger()) {
  const store: IronicConfig['image_store'] = {
    type: 'webdav',
    url: `${l.url}/${collection}`,
    ...(l.username === undefined ? {} : { username: l.username, password: l.password }),
  };
  return ironicContext({ image_store: store }, logger);
}

function create(ctx: ReturnType<typeof ironicContext>, image = stemcell.image, signal?: AbortSignal): Promise<NativeCid<'stemcell'>> {
  return createStemcell(ctx, callContext(signal), { imagePath: image, cloudProperties: OPENSTACK_QCOW2, env: undefined });
}

/** Every file under `dir` (collections may stay: they are the store's, not an upload's). */
function files(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => !e.isDirectory())
    .map((e) => path.join(e.parentPath, e.name));
}

async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function rejection(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e as { code: string; message: string },
  );
}

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

describe('stemcells on a real WebDAV store (nginx)', () => {
  it('uploads root.img, stores exactly its bytes under the CID URL, serves it over GET, and deletes it (twice)', async () => {
    const dav = await lab();
    const logger = captureLogger();
    const ctx = webdavContext(dav, 'stemcells', logger);
    const cid = await create(ctx);
    const image = decodeStemcellCid(cid);
    expect(image).toMatchObject({ diskFormat: 'qcow2', hashAlgo: 'sha256', hash: stemcell.sha256 });
    expect(image.url).toMatch(new RegExp(`^${dav.url}/stemcells/sc-[0-9a-f-]{36}\\.qcow2$`));
    const stored = path.join(dav.root, new URL(image.url).pathname);
    expect(fs.statSync(stored).size).toBe(stemcell.size);
    expect(await fileSha256(stored)).toBe(stemcell.sha256);
    const head = await fetch(image.url, { method: 'HEAD', headers: dav.headers });
    expect([head.status, head.headers.get('content-length')]).toEqual([200, String(stemcell.size)]);
    const done = logger.entries.find((e) => e.msg === 'uploaded stemcell');
    expect(done?.fields).toMatchObject({ object: image.url, bytes: stemcell.size, sha256: stemcell.sha256 });

    await deleteStemcell(ctx, callContext(), cid);
    expect(fs.existsSync(stored)).toBe(false);
    await deleteStemcell(ctx, callContext(), cid);
    expect(files(dav.root)).toEqual([]);
  });

  it('makes the collection (MKCOL) when the server does not create PUT paths', async () => {
    const dav = await lab({ createFullPutPath: false, auth: false });
    const ctx = webdavContext(dav, 'fresh');
    const small = await writeTarball(path.join(work, 'small-image'), [{ name: 'root.img', data: diskBytes(300_000) }]);
    const cid = await create(ctx, small);
    expect(files(dav.root)).toEqual([path.join(dav.root, new URL(decodeStemcellCid(cid).url).pathname)]);
    await deleteStemcell(ctx, callContext(), cid);
    expect(files(dav.root)).toEqual([]);
  });

  describe('fails clearly and leaves nothing in the store', () => {
    it('with a corrupt tarball', async () => {
      const dav = await lab();
      const corrupt = path.join(work, 'corrupt-image');
      fs.copyFileSync(stemcell.image, corrupt);
      const fd = fs.openSync(corrupt, 'r+');
      fs.writeSync(fd, Buffer.alloc(4096, 0xa5), 0, 4096, Math.floor(fs.statSync(corrupt).size / 2));
      fs.closeSync(fd);
      const error = await rejection(create(webdavContext(dav), corrupt));
      expect(error).toMatchObject({
        code: 'CPX_ARGUMENTS',
        message: expect.stringMatching(
          new RegExp(
            `^Uploading root.img of stemcell image ${corrupt} to image store ${dav.url}/stemcells: the image is not an intact gzip file \\(gunzip: .+\\)$`,
          ),
        ),
      });
      expect(files(dav.root)).toEqual([]);
      fs.rmSync(corrupt);
    });

    it('without root.img', async () => {
      const dav = await lab();
      const image = await writeTarball(path.join(work, 'no-root-image'), [
        { name: 'stemcell.MF', data: Buffer.from('x') },
        { name: 'disk.img', data: Buffer.alloc(2048) },
      ]);
      const error = await rejection(create(webdavContext(dav), image));
      expect(error).toMatchObject({
        code: 'CPX_ARGUMENTS',
        message:
          `Uploading root.img of stemcell image ${image} to image store ${dav.url}/stemcells: the archive has no root.img (it holds ` +
          `stemcell.MF, disk.img); is this a heavy OpenStack stemcell?`,
      });
      expect(files(dav.root)).toEqual([]);
    });

    it('when the store is unreachable', async () => {
      const url = `http://127.0.0.1:${await closedPort()}`;
      const error = await rejection(create(webdavContext({ url }), stemcell.image));
      expect(error).toMatchObject({
        code: 'CPX_BACKEND_FAILURE',
        message: expect.stringMatching(
          new RegExp(
            `^Uploading root.img of stemcell image ${stemcell.image} to image store ${url}/stemcells: PUT ${url}/stemcells/sc-\\S+\\.qcow2 failed: ` +
              `.*ECONNREFUSED[^;]*$`,
          ),
        ),
      });
    });

    it('when the store is read-only', async () => {
      const dav = await lab({ readOnly: true });
      const error = await rejection(create(webdavContext(dav)));
      expect(error).toMatchObject({
        code: 'CPX_BACKEND_FAILURE',
        message: expect.stringMatching(/: PUT http:\/\/127\.0\.0\.1:\d+\/stemcells\/sc-\S+\.qcow2 answered 403 Forbidden: the server refuses writes there /),
      });
      expect(error).toMatchObject({
        message: expect.stringMatching(/\(a read-only location, or a user without write access\)$/),
      });
      expect(files(dav.root)).toEqual([]);
    });

    it('with a wrong password, which it never prints', async () => {
      const dav = await lab();
      const error = await rejection(create(webdavContext({ url: dav.url, username: dav.username, password: 'wrong-password' })));
      expect(error).toMatchObject({
        code: 'CPX_BACKEND_FAILURE',
        message: expect.stringMatching(/ answered 401 Unauthorized: check image_store username and password$/),
      });
      expect(error.message).not.toContain('wrong-password');
      expect(files(dav.root)).toEqual([]);
    });

    it('when the store refuses the body half-way (client_max_body_size)', async () => {
      const dav = await lab({ maxBodySize: '1m' });
      const error = await rejection(create(webdavContext(dav)));
      expect(error).toMatchObject({
        code: 'CPX_BACKEND_FAILURE',
        message: expect.stringMatching(/: PUT \S+ answered 413 Payload Too Large: the server limits the size of uploads \(nginx: client_max_body_size 0\)$/),
      });
      expect(files(dav.root)).toEqual([]);
    });

    it('when the call is aborted mid-upload', async () => {
      const dav = await lab();
      const abort = new AbortController();
      // Aborts once nginx has received a few MB of the body: certainly mid-stream.
      const bodies = path.join(path.dirname(dav.root), 'tmp');
      const watch = setInterval(() => {
        if (fs.readdirSync(bodies).some((f) => (fs.statSync(path.join(bodies, f), { throwIfNoEntry: false })?.size ?? 0) > 4e6))
          abort.abort(new Error('SIGTERM'));
      }, 5);
      const error = await rejection(create(webdavContext(dav), stemcell.image, abort.signal)).finally(() => clearInterval(watch));
      expect(error).toMatchObject({ code: 'CPX_BACKEND_FAILURE', message: expect.stringMatching(/: aborted \(SIGTERM\)$/) });
      expect(files(dav.root)).toEqual([]);
    });
  });
});

describe('stemcells in a file store', () => {
  it('writes root.img into the directory (served here by nginx), and deletes it', async () => {
    const dav = await lab({ auth: false });
    const dir = path.join(dav.root, 'files');
    fs.mkdirSync(dir);
    const ctx = ironicContext({ image_store: { type: 'file', path: dir, url: `${dav.url}/files` } });
    const cid = await create(ctx);
    const image = decodeStemcellCid(cid);
    const stored = path.join(dir, path.basename(image.url));
    expect(fs.readdirSync(dir)).toEqual([path.basename(image.url)]);
    expect(await fileSha256(stored)).toBe(stemcell.sha256);
    expect((await fetch(image.url, { method: 'HEAD' })).status).toBe(200);
    await deleteStemcell(ctx, callContext(), cid);
    await deleteStemcell(ctx, callContext(), cid);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('leaves nothing when the tarball is corrupt', async () => {
    const dir = fs.mkdtempSync(path.join(work, 'files-'));
    const corrupt = path.join(work, 'truncated-image');
    fs.copyFileSync(stemcell.image, corrupt);
    fs.truncateSync(corrupt, Math.floor(fs.statSync(corrupt).size * 0.8));
    const ctx = ironicContext({ image_store: { type: 'file', path: dir, url: 'http://10.0.0.5/files' } });
    const error = await rejection(create(ctx, corrupt));
    expect(error).toMatchObject({
      code: 'CPX_ARGUMENTS',
      message: expect.stringMatching(/: the image is not an intact gzip file \(gunzip: unexpected end of file\)$/),
    });
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
