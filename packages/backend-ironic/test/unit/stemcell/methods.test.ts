import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NativeCid } from '@hybrid-cpi/core';
import { createStemcell, deleteStemcell } from '../../../src/methods/stemcells.js';
import { decodeStemcellCid, encodeStemcellCid } from '../../../src/stemcell/cid.js';
import { OPENSTACK_QCOW2, callContext, captureLogger, diskBytes, ironicContext, sha256, useTempDirs, writeStemcellImage } from './helpers.js';

const tempDir = useTempDirs();

function fileStoreContext(dir: string, logger = captureLogger()) {
  return ironicContext({ image_store: { type: 'file', path: dir, url: 'http://10.0.0.5:8080/stemcells' } }, logger);
}

describe('create_stemcell and delete_stemcell', () => {
  it('uploads a heavy OpenStack stemcell and answers a CID with the image URL and its sha256; delete_stemcell removes it, twice', async () => {
    const store = tempDir();
    const rootImg = diskBytes(1024 * 1024 + 7);
    const imagePath = await writeStemcellImage(tempDir(), rootImg);
    const logger = captureLogger();
    const ctx = fileStoreContext(store, logger);
    const cid = await createStemcell(ctx, callContext(), { imagePath, cloudProperties: { ...OPENSTACK_QCOW2, disk_format: 'raw' }, env: undefined });
    const image = decodeStemcellCid(cid);
    expect(image).toMatchObject({ diskFormat: 'raw', hashAlgo: 'sha256', hash: sha256(rootImg) });
    const name = path.basename(new URL(image.url).pathname);
    expect(image.url).toBe(`http://10.0.0.5:8080/stemcells/${name}`);
    expect(fs.readFileSync(path.join(store, name)).equals(rootImg)).toBe(true);
    expect(logger.entries.filter((e) => e.msg === 'uploaded stemcell')).toHaveLength(1);

    await deleteStemcell(ctx, callContext(), cid);
    expect(fs.readdirSync(store)).toEqual([]);
    await deleteStemcell(ctx, callContext(), cid);
  });

  it('keeps light stemcells with image_url as they are, and never deletes their image', async () => {
    const store = tempDir();
    const ctx = fileStoreContext(store);
    const imagePath = path.join(tempDir(), 'image');
    fs.writeFileSync(imagePath, '');
    const cid = await createStemcell(ctx, callContext(), {
      imagePath,
      cloudProperties: { ...OPENSTACK_QCOW2, image_url: 'https://images.test/jammy.qcow2', image_checksum: 'e'.repeat(32) },
      env: undefined,
    });
    expect(cid).toBe(`qcow2:md5:${'e'.repeat(32)}:https://images.test/jammy.qcow2`);
    fs.writeFileSync(path.join(store, 'jammy.qcow2'), 'someone else');
    await deleteStemcell(ctx, callContext(), cid);
    // An image_url that points into the store, but at an object create_stemcell did not name.
    await deleteStemcell(
      ctx,
      callContext(),
      encodeStemcellCid({ diskFormat: 'qcow2', hashAlgo: 'md5', hash: 'e'.repeat(32), url: 'http://10.0.0.5:8080/stemcells/jammy.qcow2' }),
    );
    expect(fs.readdirSync(store)).toEqual(['jammy.qcow2']);
  });

  it('deletes nothing without an image_store', async () => {
    const cid = `qcow2:sha256:${'a'.repeat(64)}:http://10.0.0.5:8080/stemcells/sc-0b1e9c2a-3f4d-4e5f-8a6b-7c8d9e0f1a2b.qcow2` as NativeCid<'stemcell'>;
    await deleteStemcell(ironicContext(), callContext(), cid);
  });

  it('asks for an image_store when a heavy stemcell arrives without one', async () => {
    const imagePath = await writeStemcellImage(tempDir(), Buffer.from('x'));
    await expect(createStemcell(ironicContext(), callContext(), { imagePath, cloudProperties: OPENSTACK_QCOW2, env: undefined })).rejects.toThrowError(
      expect.objectContaining({
        code: 'CPX_CONFIG',
        message:
          `Creating an Ironic stemcell from ${imagePath}: backend 'metal' has no image_store to upload the stemcell's root.img to: add ` +
          `backends.metal.image_store ({type: webdav, url, username, password} or {type: file, path, url}) to the config, or use a light stemcell ` +
          `whose cloud_properties give image_url and image_checksum`,
      }),
    );
  });

  it('refuses an image_store URL Ironic cannot fetch from', async () => {
    const imagePath = await writeStemcellImage(tempDir(), Buffer.from('x'));
    const ctx = ironicContext({ image_store: { type: 'file', path: tempDir(), url: 'file:///srv/images' } });
    await expect(createStemcell(ctx, callContext(), { imagePath, cloudProperties: OPENSTACK_QCOW2, env: undefined })).rejects.toThrowError(
      expect.objectContaining({
        code: 'CPX_CONFIG',
        message: "Configuring the image store of backend 'metal': image_store.url must be an http(s) URL Ironic can fetch images from",
      }),
    );
  });

  it('names the image store when its ca_file cannot be read', async () => {
    const imagePath = await writeStemcellImage(tempDir(), Buffer.from('x'));
    const ctx = ironicContext({ image_store: { type: 'webdav', url: 'https://dav.test/images', ca_file: '/nonexistent/ca.pem' } });
    await expect(createStemcell(ctx, callContext(), { imagePath, cloudProperties: OPENSTACK_QCOW2, env: undefined })).rejects.toThrowError(
      expect.objectContaining({
        code: 'CPX_CONFIG',
        message: expect.stringMatching(/^Configuring the image store of backend 'metal': cannot read ca_file \/nonexistent\/ca.pem: ENOENT/),
      }),
    );
  });

  it('reports a store failure with the stemcell and the store', async () => {
    const store = path.join(tempDir(), 'missing');
    const imagePath = await writeStemcellImage(tempDir(), Buffer.from('x'));
    await expect(createStemcell(fileStoreContext(store), callContext(), { imagePath, cloudProperties: OPENSTACK_QCOW2, env: undefined })).rejects.toThrowError(
      expect.objectContaining({
        code: 'CPX_BACKEND_FAILURE',
        message: expect.stringMatching(
          new RegExp(
            `^Uploading root.img of stemcell image ${imagePath} to image store ${store} \\(served at http://10.0.0.5:8080/stemcells\\): writing ` +
              `${store}/sc-\\S+\\.qcow2: directory ${store} does not exist$`,
          ),
        ),
      }),
    );
  });
});
