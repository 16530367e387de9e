// createIronicBackend's seams (BackendDeps.seams): every HTTP request of the backend goes through
// the dispatcher given, the image store's included. The methods' own wire tests are under methods/
// and node/.
import { describe, expect, it } from 'vitest';
import type { NativeCid } from '@hybrid-cpi/core';
import { encodeStemcellCid } from '../../src/stemcell/cid.js';
import { call, useWire } from './wire.js';

const wire = useWire();
const DAV = 'http://dav.test';
const IMAGE = 'sc-3f0c1a2b-4d5e-4f60-8a71-0b1c2d3e4f50.qcow2';

describe('the seams of createIronicBackend', () => {
  it("the image store's requests go through the HTTP dispatcher given", async () => {
    const w = await wire({ image_store: { type: 'webdav', url: `${DAV}/images`, username: 'bosh', password: 'pw' } });
    const dav = w.agent.get(DAV);
    dav
      .intercept({ method: 'DELETE', path: `/images/${IMAGE}`, headers: { authorization: `Basic ${Buffer.from('bosh:pw').toString('base64')}` } })
      .reply(204, '');
    const cid = encodeStemcellCid({ diskFormat: 'qcow2', hashAlgo: 'sha256', hash: 'd'.repeat(64), url: `${DAV}/images/${IMAGE}` });

    await w.backend.deleteStemcell(call('delete_stemcell'), cid as NativeCid<'stemcell'>);
    expect(w.logs.map((l) => l.msg)).toContain('stemcell image deleted');
  });
});
