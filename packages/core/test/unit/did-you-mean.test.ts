import { describe, expect, it } from 'vitest';
import { closest, didYouMean } from '@hybrid-cpi/core';

const COMMANDS = ['validate', 'explain', 'nodes', 'doctor', 'lifecycle'];

describe('closest', () => {
  it('finds the word meant by a typo, a swapped pair of letters included', () => {
    expect(closest('valdiate', COMMANDS)).toBe('validate');
    expect(closest('docter', COMMANDS)).toBe('doctor');
    expect(closest('nods', COMMANDS)).toBe('nodes');
    expect(closest('auht', ['url', 'auth', 'ca_file'])).toBe('auth');
    expect(closest('default_bakend', ['default_backend', 'legacy_backend', 'log_level'])).toBe('default_backend');
  });

  it('guesses nothing when nothing is close, or the word is one of them', () => {
    expect(closest('deploy', COMMANDS)).toBeUndefined();
    expect(closest('ab', ['xyz'])).toBeUndefined();
    expect(closest('colour', ['stemcell_formats', 'state_file'])).toBeUndefined();
    expect(closest('nodes', COMMANDS)).toBeUndefined();
    expect(closest('x', [])).toBeUndefined();
  });
});

describe('didYouMean', () => {
  it('ends a message with the suggestion, or with nothing', () => {
    expect(didYouMean('metl', ['metal', 'vms'])).toBe('; did you mean `metal`?');
    expect(didYouMean('zzzz', ['metal', 'vms'])).toBe('');
  });
});
