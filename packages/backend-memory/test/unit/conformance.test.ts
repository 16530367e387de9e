import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { describeConformance, type ConformanceOptions } from '@hybrid-cpi/core/testing';
import { MemoryBackend, fileStore, inProcessStore } from '../../src/index.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memory-conformance-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const image = path.join(dir, 'image');
fs.writeFileSync(image, 'not really a disk image');

const fixture: Omit<ConformanceOptions, 'makeBackend'> = {
  stemcell: { imagePath: image, cloudProperties: { infrastructure: 'openstack', disk_format: 'qcow2' } },
  vm: { cloudProperties: {}, networks: { default: { type: 'dynamic', cloud_properties: {} } } },
  disk: { size: 1024, cloudProperties: {} },
};

describeConformance({ describe, it }, 'memory backend, in-process state', { ...fixture, makeBackend: () => new MemoryBackend(inProcessStore()) });
describeConformance({ describe, it }, 'memory backend, state in a file', {
  ...fixture,
  makeBackend: () => new MemoryBackend(fileStore(path.join(dir, 'state.json'))),
});
