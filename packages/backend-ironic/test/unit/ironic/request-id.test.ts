import { describe, expect, it } from 'vitest';
import { globalRequestId, nameUuid } from '../../../src/ironic/request-id.js';

// oslo.middleware's request_id takes an inbound global id only in this form.
const OSLO = /^req-[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}$/;

describe('globalRequestId', () => {
  it('keeps a UUID, with or without req-, in lower case', () => {
    expect(globalRequestId('6B8F2A3E-1D4C-4E1B-9C9F-0D5B8A7E6F10')).toBe('req-6b8f2a3e-1d4c-4e1b-9c9f-0d5b8a7e6f10');
    expect(globalRequestId('req-6b8f2a3e-1d4c-4e1b-9c9f-0d5b8a7e6f10')).toBe('req-6b8f2a3e-1d4c-4e1b-9c9f-0d5b8a7e6f10');
  });

  it('makes the same name-based (version 5) UUID of the same director id, and another of another', () => {
    const id = globalRequestId('cpi-123456')!;
    expect(id).toMatch(OSLO);
    expect(id).toBe(globalRequestId('cpi-123456'));
    expect(id).not.toBe(globalRequestId('cpi-123457'));
    const [, , version, variant] = id.slice(4).split('-');
    expect(version![0]).toBe('5');
    expect(['8', '9', 'a', 'b']).toContain(variant![0]);
  });

  it('makes name-based UUIDs as RFC 9562 does (its DNS-namespace example)', () => {
    expect(nameUuid('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });

  it('derives a UUID from anything that is not one, whatever its length or characters', () => {
    for (const id of ['x', 'req-not-a-uuid', 'ünïcode ✓', 'a'.repeat(10_000)]) expect(globalRequestId(id)).toMatch(OSLO);
  });

  it('sends nothing when the director sent no id', () => {
    expect(globalRequestId(undefined)).toBeUndefined();
    expect(globalRequestId('')).toBeUndefined();
  });
});
