import { describe, expect, it } from 'vitest';
import { add, isIronicPatchPath, pointer, remove, replace } from '../../../src/ironic/patch.js';

describe('JSON-patch builders', () => {
  it('build add, replace and remove', () => {
    expect(add('/instance_uuid', 'u')).toEqual({ op: 'add', path: '/instance_uuid', value: 'u' });
    expect(replace(['automated_clean'], null)).toEqual({ op: 'replace', path: '/automated_clean', value: null });
    expect(remove(['extra', 'bosh_vm-1'])).toEqual({ op: 'remove', path: '/extra/bosh_vm-1' });
    expect(add(['extra', 'größe'], 1)).toEqual({ op: 'add', path: '/extra/größe', value: 1 });
  });

  it("refuse keys Ironic's patch schema rejects (a 400 otherwise), naming the path", () => {
    for (const key of ['a/b', 'a~b', 'a.b', 'with space', '']) {
      expect(() => add(['extra', key], 1)).toThrowError(
        /Ironic accepts only letters, digits, '_' and '-' in patch path keys.*patch the parent object as a whole/,
      );
    }
    expect(() => remove('/extra/a.b')).toThrowError(/not "\/extra\/a.b"/);
    expect(isIronicPatchPath('/instance_info/image_source')).toBe(true);
    expect(isIronicPatchPath('/extra/')).toBe(false);
  });
});

describe('pointer', () => {
  it('escapes ~ before / in keys (RFC 6901)', () => {
    expect(pointer(['extra', 'a/b'])).toBe('/extra/a~1b');
    expect(pointer(['extra', 'a~b'])).toBe('/extra/a~0b');
    expect(pointer(['extra', '~1'])).toBe('/extra/~01');
  });

  it('takes a string pointer as given, but only a real one', () => {
    expect(pointer('/extra/a~1b')).toBe('/extra/a~1b');
    expect(() => pointer('extra' as '/x')).toThrowError(/must start with '\/'/);
    expect(() => pointer([])).toThrowError(/at least one key/);
  });
});
