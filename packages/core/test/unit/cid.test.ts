import { describe, expect, it } from 'vitest';
import { type CidKind, type CpiError, decodeCid, decodeStemcellCid, encodeCid, encodeStemcellCid, type BackendName, type NativeCid } from '@hybrid-cpi/core';

const b = (s: string) => s as BackendName;
const n = <K extends CidKind = 'stemcell'>(s: string) => s as NativeCid<K>;
const scope = { backends: new Set(['metal', 'vms']) };
const withLegacy = { ...scope, legacyBackend: b('vms') };

describe('CIDs', () => {
  it('prefix the backend and split on the first colon only', () => {
    expect(encodeCid(b('metal'), n('light://a:b'))).toBe('metal:light://a:b');
    expect(decodeCid('metal:light://a:b', scope)).toEqual({ backend: 'metal', native: 'light://a:b' });
  });

  it('give unprefixed and foreign-prefixed CIDs, whole, to the legacy backend', () => {
    expect(decodeCid('vm-123', withLegacy)).toEqual({ backend: 'vms', native: 'vm-123' });
    expect(decodeCid('agent_id:x;resource_group_name:y', withLegacy)).toEqual({ backend: 'vms', native: 'agent_id:x;resource_group_name:y' });
    expect(decodeCid('metal:', withLegacy)).toEqual({ backend: 'vms', native: 'metal:' });
  });

  it('refuse an unknown prefix without a legacy backend, naming the CID and the prefixes', () => {
    expect(() => decodeCid('nope:vm-1', scope, 'VM CID')).toThrowError(/VM CID 'nope:vm-1'.*'metal:', 'vms:'.*legacy_backend/);
    try {
      decodeCid('vm-1', scope);
    } catch (error) {
      expect((error as CpiError).type).toBe('Bosh::Clouds::CpiError');
    }
  });

  it('stop at the director limit of 255 characters', () => {
    expect(encodeCid(b('metal'), n('x'.repeat(249)))).toHaveLength(255);
    expect(() => encodeCid(b('metal'), n('x'.repeat(250)))).toThrowError(/256 characters.*255/);
  });
});

describe('stemcell CIDs', () => {
  it('are plain prefixed CIDs for one backend', () => {
    const cid = encodeStemcellCid(new Map([[b('metal'), n('sc-1')]]));
    expect(cid).toBe('metal:sc-1');
    expect(decodeStemcellCid(cid, scope)).toEqual(new Map([['metal', 'sc-1']]));
  });

  it('hold every part for several backends, and read back', () => {
    const cid = encodeStemcellCid(
      new Map([
        [b('metal'), n('sc-1')],
        [b('vms'), n('sc-"2"')],
      ]),
    );
    expect(cid).toBe('{"metal":"sc-1","vms":"sc-\\"2\\""}');
    expect(decodeStemcellCid(cid, scope)).toEqual(
      new Map([
        ['metal', 'sc-1'],
        ['vms', 'sc-"2"'],
      ]),
    );
  });

  it('refuse a composite part of an unconfigured backend or an empty part', () => {
    expect(() => decodeStemcellCid('{"metal":"a","gone":"b"}', scope)).toThrowError(/backend 'gone', which is not configured/);
    expect(() => decodeStemcellCid('{"metal":""}', scope)).toThrowError(/not a non-empty string/);
  });

  it('treat a brace CID that is not a JSON object as a legacy CID', () => {
    expect(decodeStemcellCid('{not json', withLegacy)).toEqual(new Map([['vms', '{not json']]));
  });
});
