// docs/plugins.md lists the backend methods a plugin must and may have: the method table says
// which, and the list must not drift from it.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SERVED_METHODS, camelCase, methodSpec } from '@hybrid-cpi/core';

const doc = fs.readFileSync(path.resolve(import.meta.dirname, '../../docs/plugins.md'), 'utf8');

describe('docs/plugins.md', () => {
  it('names the required and the optional backend methods as the method table says, with what the core answers for each', () => {
    const row = doc.split('\n').find((line) => line.startsWith('| `createStemcell`'));
    const [required = '', optional = ''] = row?.split('|').slice(1, 3) ?? [];
    const names = (cell: string) => [...cell.matchAll(/`(\w+)`/g)].map((m) => m[1]!).filter((n) => !n.startsWith('Not'));
    const byAbsence = (absent: string) => SERVED_METHODS.filter((m) => methodSpec(m).absent === absent).map(camelCase);
    expect(names(required).sort()).toEqual(byAbsence('required').sort());
    expect(names(optional).sort()).toEqual([...byAbsence('NotImplemented'), ...byAbsence('NotSupported')].sort());
    const [notImplemented = '', notSupported = ''] = optional.split('→ `NotImplemented`');
    expect(names(notImplemented).sort()).toEqual(byAbsence('NotImplemented').sort());
    expect(names(notSupported).sort()).toEqual(byAbsence('NotSupported').sort());
  });
});
