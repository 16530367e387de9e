import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { buildIso } from '../../../src/config-drive/iso9660.js';
import { packConfigDrive } from '../../../src/config-drive/pack.js';

describe('packConfigDrive', () => {
  it('gzips then base64-encodes, so that decoding and gunzipping gives the image back', () => {
    const iso = buildIso(
      [
        { path: 'ec2/latest/user-data', content: '{"agent_id":"agent-1"}' },
        { path: 'openstack/latest/meta_data.json', content: '{"uuid":"u"}' },
      ],
      { volumeId: 'config-2' },
    );
    const packed = packConfigDrive(iso);
    expect(packed).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    const compressed = Buffer.from(packed, 'base64');
    expect([compressed[0], compressed[1]]).toEqual([0x1f, 0x8b]); // gzip, not raw deflate or zlib
    expect(gunzipSync(compressed).equals(iso)).toBe(true);
    expect(packed.length).toBeLessThan(iso.length / 4); // an image is mostly zero padding
  });

  it('round-trips arbitrary bytes', () => {
    const data = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 31) & 0xff));
    expect(gunzipSync(Buffer.from(packConfigDrive(data), 'base64')).equals(data)).toBe(true);
    expect(gunzipSync(Buffer.from(packConfigDrive(Buffer.alloc(0)), 'base64')).length).toBe(0);
  });
});
