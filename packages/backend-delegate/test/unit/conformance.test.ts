// The lifecycle every backend passes, here through the real exec path: each step runs the
// fixture CPI as a process, as the director would.
import { afterAll, describe, it } from 'vitest';
import { describeConformance, type ConformanceOptions } from '@hybrid-cpi/core/testing';
import { FakeCpi, delegateBackend } from './helpers.js';

const fixture: Omit<ConformanceOptions, 'makeBackend'> = {
  stemcell: { imagePath: '/var/vcap/data/tmp/director/stemcell/image', cloudProperties: { infrastructure: 'vsphere', disk_format: 'ovf' } },
  vm: { cloudProperties: { cpu: 2, ram: 4096 }, networks: { default: { type: 'dynamic', cloud_properties: { name: 'VM Network' } } } },
  disk: { size: 1024, cloudProperties: { type: 'thin' } },
};

const cpis: FakeCpi[] = [];
afterAll(() => {
  for (const cpi of cpis) cpi.cleanup();
});
const withCpi = (apiVersion: number) => {
  const cpi = new FakeCpi(apiVersion);
  cpis.push(cpi);
  return delegateBackend(cpi);
};

describeConformance({ describe, it }, 'delegate backend, fixture CPI of api_version 2, v2 calls', { ...fixture, makeBackend: () => withCpi(2) });
describeConformance({ describe, it }, 'delegate backend, fixture CPI of api_version 2, v3 calls', { ...fixture, apiVersion: 3, makeBackend: () => withCpi(2) });
describeConformance({ describe, it }, 'delegate backend, fixture CPI of api_version 3, v3 calls', { ...fixture, apiVersion: 3, makeBackend: () => withCpi(3) });
