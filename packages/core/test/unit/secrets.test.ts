import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { BufferedLogger, loadLogger, REDACTED, Secrets } from '@hybrid-cpi/core';

describe('Secrets', () => {
  it('scrubs keyed values at any depth, raw and JSON-escaped', () => {
    const secrets = new Secrets();
    const pem = '-----BEGIN KEY-----\nabc"def\n-----END KEY-----';
    secrets.addKeyed({ a: { ipmi_password: 'hunter22' }, mbus: { cert: { private_key: pem } }, name: 'not-a-secret', auth: { type: 'http_basic' } });
    expect(secrets.scrub('auth http_basic')).toBe('auth http_basic');
    expect(secrets.scrub('pw=hunter22 and name=not-a-secret')).toBe(`pw=${REDACTED} and name=not-a-secret`);
    expect(secrets.scrub(JSON.stringify({ key: pem }))).toBe(`{"key":"${REDACTED}"}`);
  });

  it('scrubs every long value of env except the director-public group and tags', () => {
    const secrets = new Secrets();
    secrets.addEnv({
      bosh: { group: 'director-dep-group', tags: { team: 'team-name-here' }, blobstores: [{ options: { endpoint: 'https://blob.example:25250' } }] },
    });
    expect(secrets.scrub('group director-dep-group team team-name-here at https://blob.example:25250')).toBe(
      `group director-dep-group team team-name-here at ${REDACTED}`,
    );
  });

  it('leaves short values alone so that log lines stay readable', () => {
    const secrets = new Secrets();
    secrets.addKeyed({ password: 'ab' });
    secrets.addAll({ level: 'info' });
    expect(secrets.scrub('"level":"info" ab')).toBe('"level":"info" ab');
    expect(secrets.size).toBe(0);
  });
});

describe('Secrets with many and large values', () => {
  it('scrubs thousands of secrets and an 8 MiB one, from short lines and from a text holding them all, without throwing', () => {
    const secrets = new Secrets();
    const many = Array.from({ length: 5000 }, (_, i) => `pw-${i.toString(36)}-${'k'.repeat(i % 40)}`);
    for (const value of many) secrets.add(value);
    const huge = `-----BEGIN BIG-----\n${'Q'.repeat(8 << 20)}\n"quoted"\n-----END BIG-----`;
    secrets.add(huge);
    // V8 refused the one regular expression the old scrubber built from these.
    expect(secrets.scrub(`login ${many[4321]} ok`)).toBe(`login ${REDACTED} ok`);
    const text = ['start', ...many.slice(0, 200), JSON.stringify(huge), huge, 'end'].join(' | ');
    const scrubbed = secrets.scrub(text);
    expect(scrubbed).toBe(['start', ...Array(200).fill(REDACTED), `"${REDACTED}"`, REDACTED, 'end'].join(' | '));
  });

  it('removes every character of overlapping and nested secrets, not only of the longest', () => {
    const secrets = new Secrets();
    for (const value of ['abcdef', 'defghi', 'cde', 'hunter2hunter2']) secrets.add(value);
    expect(secrets.scrub('x abcdefghi y hunter2hunter2hunter2 z')).toBe(`x ${REDACTED} y ${REDACTED} z`);
    expect(secrets.scrub('x abcdefghi y hunter2hunter2hunter2 z')).not.toMatch(/ghi|def/);
  });

  it('matches code units exactly: a secret after "\\r" or starting with a combining mark is found', () => {
    const secrets = new Secrets();
    secrets.add('\nsecret-after-newline');
    secrets.add('\u0301accent-secret');
    expect(secrets.scrub('line\r\nsecret-after-newline and e\u0301accent-secret')).toBe(`line\r${REDACTED} and e${REDACTED}`);
  });

  it('agrees with a brute-force scrubber on random secrets and texts', () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const word = (n: number) => Array.from({ length: n }, () => 'ab\u00e9c'[Math.floor(random() * 4)]).join('');
    for (let round = 0; round < 2000; round++) {
      const values = Array.from({ length: 1 + Math.floor(random() * 6) }, () => word(3 + Math.floor(random() * 5)));
      const text = word(Math.floor(random() * 60));
      const secrets = new Secrets();
      for (const v of values) secrets.add(v);
      expect(secrets.scrub(text), `${JSON.stringify(values)} in ${JSON.stringify(text)}`).toBe(bruteForce(text, values));
    }
  });
});

/** Every character inside any occurrence of any value, each stretch of them replaced once. */
function bruteForce(text: string, values: readonly string[]): string {
  const covered = new Array<boolean>(text.length).fill(false);
  for (const value of values) {
    for (let at = text.indexOf(value); at !== -1; at = text.indexOf(value, at + 1)) covered.fill(true, at, at + value.length);
  }
  return text.replace(/[\s\S]/g, (c, i: number) => (covered[i] ? '\0' : c)).replace(/\0+/g, REDACTED);
}

describe('createLogger', () => {
  it('writes JSON lines synchronously, with secret keys redacted and secret strings scrubbed', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'log-'));
    onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'stderr');
    const fd = fs.openSync(file, 'w');
    const secrets = new Secrets();
    secrets.add('s3cr3t-value');
    (await loadLogger('debug', secrets, fd)).child({ request_id: 'cpi-1' }).debug({ password: 'other-pw', note: 'has s3cr3t-value inside' }, 'hello');
    fs.closeSync(fd);
    const line = JSON.parse(fs.readFileSync(file, 'utf8'));
    fs.rmSync(dir, { recursive: true, force: true });
    expect(line).toMatchObject({ level: 'debug', request_id: 'cpi-1', password: REDACTED, note: `has ${REDACTED} inside`, msg: 'hello' });
  });
});

describe('BufferedLogger', () => {
  it('holds enabled lines with their bindings, then forwards them and every later line once attached', async () => {
    const buffered = new BufferedLogger('info');
    const child = buffered.child({ request_id: 'cpi-2' });
    buffered.debug('dropped: below the level');
    child.info({ backend: 'metal' }, 'first');
    buffered.error('second');
    expect([buffered.size, buffered.attached]).toEqual([2, false]);
    const seen: unknown[] = [];
    const target = { ...buffered, info: (...a: unknown[]) => seen.push(['info', ...a]), error: (...a: unknown[]) => seen.push(['error', ...a]) };
    buffered.attach(target as never);
    child.info('third');
    expect(seen).toEqual([
      ['info', { request_id: 'cpi-2', backend: 'metal' }, 'first'],
      ['error', {}, 'second'],
      ['info', { request_id: 'cpi-2' }, 'third'],
    ]);
    expect([buffered.size, buffered.attached]).toEqual([0, true]);
  });
});
