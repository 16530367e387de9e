// The example plugin against the backend conformance suite of @hybrid-cpi/core/testing: the same
// lifecycle the built-in backends pass. Run by the repository's unit tier (vitest.config.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BACKEND_CONTRACT, silentLogger, type CallContext, type Finding } from '@hybrid-cpi/core';
import { describeConformance } from '@hybrid-cpi/core/testing';
import exampleModule, { TYPE, type ExampleConfig } from '../src/index.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plugin-example-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const image = path.join(dir, 'image');
fs.writeFileSync(image, 'not really a disk image');
const config: ExampleConfig = { type: TYPE, directory: path.join(dir, 'records'), stemcell_formats: ['openstack-qcow2'] };
const deps = { name: 'example' as never, logger: silentLogger, agent: undefined };

describeConformance({ describe, it }, 'hybrid-cpi-backend-example', {
  makeBackend: () => exampleModule.create(config, deps),
  stemcell: { imagePath: image, cloudProperties: { infrastructure: 'openstack', disk_format: 'qcow2' } },
  vm: { cloudProperties: {}, networks: { default: { type: 'dynamic', cloud_properties: {} } } },
  disk: { size: 1024, cloudProperties: {} },
});

describe('hybrid-cpi-backend-example', () => {
  it('never turns a CID into a path outside its directory', async () => {
    const backend = await exampleModule.create(config, deps);
    const ctx = { logger: silentLogger } as CallContext;
    fs.writeFileSync(path.join(dir, 'secret.json'), '{}');
    for (const cid of ['../secret', '../../secret', 'vm-../../secret']) {
      expect(await backend.hasVm(ctx, cid as never)).toBe(false);
      await backend.deleteVm(ctx, cid as never);
    }
    expect(fs.existsSync(path.join(dir, 'secret.json'))).toBe(true);
  });

  it('declares the descriptor the loader checks', () => {
    expect(exampleModule).toMatchObject({ type: 'hybrid-cpi-backend-example', contract: BACKEND_CONTRACT });
    expect(exampleModule.stemcellFormats(config)).toEqual(['openstack-qcow2']);
  });

  it('has a doctor check of its records directory', async () => {
    const doctor = (await exampleModule.operator!()).doctor!;
    const found = async (directory: string) => {
      const findings: Finding[] = [];
      const ctx = { name: 'example' as never, seams: {}, signal: AbortSignal.timeout(5_000), report: (f: Finding) => findings.push(f) };
      await doctor({ ...config, directory }, ctx);
      return findings;
    };
    fs.mkdirSync(config.directory, { recursive: true });
    expect(await found(config.directory)).toEqual([{ status: 'ok', text: `records directory ${config.directory} is writable`, fix: null }]);
    const missing = path.join(dir, 'missing');
    expect(await found(missing)).toEqual([{ status: 'problem', text: `${missing} does not exist`, fix: 'create it, or correct backends.example.directory' }]);
  });
});
