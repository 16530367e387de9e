import { describe, expect, it } from 'vitest';
import { isCpiError } from '@hybrid-cpi/core';
import { discoverVersions } from '../../../src/ironic/client.js';
import * as mv from '../../../src/ironic/microversions.js';
import { ORIGIN, expectCall, useIronicMock } from './helpers.js';

const make = useIronicMock();

describe('microversion table', () => {
  it('holds the gates the backend relies on', () => {
    expect([mv.CONDUCTOR_GROUP, mv.AUTOMATED_CLEAN, mv.ALLOCATIONS, mv.CONFIGDRIVE_DICT, mv.DEPLOY_VERB, mv.MINIMUM]).toEqual([
      '1.46',
      '1.47',
      '1.52',
      '1.56',
      '1.73',
      '1.52',
    ]);
    expect(mv.compareVersions(mv.DEFAULT, mv.MINIMUM)).toBeGreaterThanOrEqual(0);
  });

  it('compares numerically', () => {
    expect(mv.compareVersions('1.9', '1.52')).toBeLessThan(0);
    expect(mv.compareVersions('1.52', '1.52')).toBe(0);
    expect(mv.compareVersions('2.0', '1.99')).toBeGreaterThan(0);
    expect(mv.maxVersion('1.52', '1.73')).toBe('1.73');
    expect(mv.maxVersion('1.82', '1.73')).toBe('1.82');
    expect(mv.isMicroversion('1.82')).toBe(true);
    expect(mv.isMicroversion('latest')).toBe(false);
  });
});

describe('discoverVersions', () => {
  it('reads GET / without credentials', async () => {
    const { pool, client } = make({ auth: { type: 'http_basic', username: 'u', password: 'p' } });
    expectCall(pool, { method: 'GET', path: '/', headers: { authorization: (v) => v === undefined } }).reply(200, {
      name: 'OpenStack Ironic API',
      default_version: { id: 'v1', min_version: '1.1', version: '1.82', status: 'CURRENT' },
    });
    expect(await discoverVersions(client)).toEqual({ min: '1.1', max: '1.82' });
  });

  it('refuses a root document without versions', async () => {
    const { pool, client } = make();
    expectCall(pool, { method: 'GET', path: '/' }).reply(200, { name: 'something else' });
    await expect(discoverVersions(client)).rejects.toThrowError(
      `Reading the API versions of Ironic at ${ORIGIN}: GET / has no default_version.{min_version,version}`,
    );
  });
});

describe('requireVersion', () => {
  it('accepts a server at or above the minimum', () => {
    expect(() => mv.requireVersion({ min: '1.1', max: '1.52' }, ORIGIN)).not.toThrow();
    expect(() => mv.requireVersion({ min: '1.1', max: '1.82' }, ORIGIN, { version: '1.73', feature: 'the deploy verb' })).not.toThrow();
  });

  it('names the offered and the needed versions when the server is too old', () => {
    let error: unknown;
    try {
      mv.requireVersion({ min: '1.1', max: '1.46' }, ORIGIN);
    } catch (e) {
      error = e;
    }
    expect(isCpiError(error)).toBe(true);
    expect((error as Error).message).toBe(
      `Checking the API version of Ironic at ${ORIGIN}: it offers 1.1 to 1.46, but the CPI needs at least 1.52 (the allocation API)`,
    );
    expect(() => mv.requireVersion({ min: '1.1', max: '1.72' }, ORIGIN, { version: '1.73', feature: 'the deploy verb' })).toThrowError(
      /at least 1.73 \(the deploy verb\)/,
    );
  });
});
