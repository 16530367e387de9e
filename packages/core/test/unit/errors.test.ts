import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BOSH_ERROR_TYPES, CATALOGUE, CpiError, classify, isCpiError, knownType } from '@hybrid-cpi/core';

const docs = fs.readFileSync(path.resolve(import.meta.dirname, '../../../../docs/errors.md'), 'utf8');

describe('the error catalogue', () => {
  it('documents every code with its director type, and documents no code that does not exist', () => {
    const documented = new Map([...docs.matchAll(/^\| `(CPX_\w+)` \| `([^`]+)` \|/gm)].map((m) => [m[1], m[2]]));
    expect([...documented.keys()].sort()).toEqual(Object.keys(CATALOGUE).sort());
    for (const [code, entry] of Object.entries(CATALOGUE)) expect(documented.get(code), code).toBe(entry.type);
  });

  it('uses only the ten types the director knows', () => {
    for (const entry of Object.values(CATALOGUE)) expect(BOSH_ERROR_TYPES).toContain(entry.type);
    expect(BOSH_ERROR_TYPES).toHaveLength(10);
  });
});

describe('classify', () => {
  it('keeps ok_to_retry on VMCreationFailed', () => {
    expect(classify(new CpiError('CPX_VM_CREATION_FAILED', 'Creating VM: no free node', { okToRetry: true }))).toEqual({
      type: 'Bosh::Clouds::VMCreationFailed',
      message: 'Creating VM: no free node',
      ok_to_retry: true,
    });
  });

  it('drops ok_to_retry on types the director builds from the message', () => {
    expect(classify(new CpiError('CPX_BACKEND_FAILURE', 'x', { okToRetry: true })).ok_to_retry).toBe(false);
  });

  it('turns anything else into a CloudError that says it was unexpected', () => {
    expect(classify(new TypeError('boom'))).toEqual({ type: 'Bosh::Clouds::CloudError', message: 'Unexpected error: boom', ok_to_retry: false });
    expect(classify('a string')).toEqual({ type: 'Bosh::Clouds::CloudError', message: 'Unexpected error: a string', ok_to_retry: false });
  });

  it('recognises errors by brand, across copies of the package', () => {
    const foreign = Object.assign(new Error('x'), { [Symbol.for('@hybrid-cpi/core.CpiError')]: true });
    expect(isCpiError(foreign)).toBe(true);
    expect(isCpiError(new Error('x'))).toBe(false);
    expect(new CpiError('CPX_INTERNAL', 'x')).toBeInstanceOf(CpiError);
  });
});

describe('knownType', () => {
  it('passes the ten types through and maps others to CloudError naming the original', () => {
    expect(knownType('Bosh::Clouds::VMNotFound', 'gone')).toEqual({ type: 'Bosh::Clouds::VMNotFound', message: 'gone' });
    expect(knownType('InvalidCall', 'bad')).toEqual({ type: 'Bosh::Clouds::CloudError', message: 'InvalidCall: bad' });
  });
});
