import { describe, expect, it } from 'vitest';
import { isImageName, newImageName } from '../../../src/stemcell/object-name.js';
import { scavenger } from '../../../src/stemcell/scavenge.js';

describe('stemcell image names', () => {
  it('are sc-<uuid>.<qcow2|raw>, and only those are ours to delete', () => {
    expect(newImageName('qcow2')).toMatch(/^sc-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\.qcow2$/);
    expect(isImageName(newImageName('raw'))).toBe(true);
    for (const name of ['root.img', 'jammy.qcow2', 'sc-1.qcow2', `${newImageName('qcow2')}.part`, newImageName('raw').replace('.raw', '.vmdk')])
      expect(isImageName(name)).toBe(false);
  });
});

describe('scavenger', () => {
  it('runs without exposing gc to the program', () => {
    const done = scavenger(1024);
    for (let i = 0; i < 10; i++) done(512);
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
  });
});
